"""LearningSparse models whose learning rules may use the tag t (and the delay d).

In lava-nc 0.10.0 the stock models of ``LearningSparse`` (``lava/proc/sparse/models.py``) fail
on any rule that touches a tag, in three ways:

1. An empty tag crashes the learning step. ``LearningSparse`` builds the default tags from
   zeros (``lava/proc/sparse/process.py:187-194``), a csr matrix with no stored entries, and
   ``_apply_learning_rules`` (``lava/magma/core/model/py/connection.py:951`` fixed, ``:1462``
   float) calls ``lava.utils.sparse.find(tag, explicit_zeros=True)``, whose ``mat[dst, src].A1``
   (``lava/utils/sparse.py:30``) fails on an empty matrix. Even without the crash the learnt tag
   could only be stored at the tag's own entries, none.
2. Float: the rule is evaluated as a NumPy expression (``learning_rule_applier.py:170``), where a
   product such as ``y0 * tag_1`` with a scipy matrix is a matrix product (dimension mismatch).
3. Fixed point: every factor is saturated with ``np.clip`` (``learning_rule_applier.py:295``),
   which raises on a scipy matrix, so any product containing ``t`` or ``d`` fails. Also, the
   builder hands a csr Var to the model as it is (``lava/magma/compiler/builders/
   py_builder.py:406-411``), so the default tags are float matrices in the fixed-point model,
   whose integer shifts then fail.

The fix gives the learning rule dense views: for the learning step only, the weights and both
tags are dense arrays of the model's type (int in fixed point), so the stock dense code path of
``_apply_learning_rules`` runs unchanged (the same arithmetic as ``LearningDense``: products,
shifts, saturation, stochastic rounding); afterwards each variable is stored again as a csr
matrix on the weights' entries, the synapses (explicit zeros kept, so a weight or tag that
learns to 0 stays a synapse and a masked one never appears). The forward pass, the traces and
the process are untouched. Select the models with
``Loihi2SimCfg(exception_proc_model_map={LearningSparse: LearningSparseFloat})`` (or
``LearningSparseFixed``); the compiler takes a mapped model without searching the process's
folder for others (``lava/magma/core/run_configs.py:208-209``), so this module may live outside
``lava/proc/sparse/``.

A fourth change, fixed point only: on its first step the stock model truncates the weights to
the weight width (even values for 8 bits with sign) and then drops the entries that became 0
(``truncate_weights``, ``lava/utils/weightutils.py:239-242``), so a synapse whose initial weight
is 0 would vanish. :class:`LearningSparseFixed` truncates the stored values alike but keeps
every entry.

Left as it is: ``Var.get`` rebuilds a sparse Var on the non-zero entries of its ``init``
(``lava/magma/core/process/variable.py:177-180``), so a variable whose initial value has zeros
(an all-zero tag, a synapse of weight 0) cannot be read back that way; the runtime's raw
values (explicit zeros included, row-major) can:
:meth:`~lava_eqprop.lava_backend.runner.GraphRun.get_entries`.
"""

from __future__ import annotations

import numpy as np
from lava.proc.sparse.models import (
    PyLearningSparseModelBitApproximate,
    PyLearningSparseModelFloat,
)
from lava.utils.sparse import find
from lava.utils.weightutils import truncate_weights
from scipy.sparse import csr_matrix

SYNAPTIC_VARIABLES = ("weights", "tag_1", "tag_2")


class _DenseLearningViews:
    """Runs the stock learning step on dense copies of the synaptic variables."""

    view_dtype: type
    weights: csr_matrix

    def _apply_learning_rules(self, x_traces_history: np.ndarray,
                              y_traces_history: np.ndarray) -> None:
        dst, src, _ = find(self.weights, explicit_zeros=True)
        shape = self.weights.shape
        for name in SYNAPTIC_VARIABLES:
            setattr(self, name, getattr(self, name).toarray().astype(self.view_dtype))
        super()._apply_learning_rules(x_traces_history, y_traces_history)  # type: ignore[misc]
        for name in SYNAPTIC_VARIABLES:
            dense = getattr(self, name)
            setattr(self, name, csr_matrix((dense[dst, src], (dst, src)), shape=shape))


class LearningSparseFloat(_DenseLearningViews, PyLearningSparseModelFloat):
    """``floating_pt`` LearningSparse with tags (module docstring)."""

    view_dtype = float


class LearningSparseFixed(_DenseLearningViews, PyLearningSparseModelBitApproximate):
    """``fixed_pt`` (Lava's bit-approximate Loihi model) LearningSparse with tags; its first
    step truncates the weights as the stock model does and keeps the synapses that are 0."""

    view_dtype = int

    def run_spk(self) -> None:
        if not self.weights_set:
            weights = self.weights.astype(np.int32)
            weights.data = truncate_weights(weights.data, sign_mode=self.sign_mode,
                                            num_weight_bits=self.num_weight_bits)
            self.weights, self.weights_set = weights, True
        super().run_spk()
