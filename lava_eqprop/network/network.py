"""The one network description that every backend reads.

A :class:`Network` is a graph: :class:`Population` nodes (a shape, a clip activation, a role and a
bias) and :class:`Projection` edges (a weight between two populations, with a kind, an optional
connectivity mask, and a flag saying whether the weight is symmetric, i.e. one energy term that
drives both ends, or directed, one-way drive).

Every topology in this project is *generated* into this form: layered nets, Gammell et al.'s
small-world rewiring (masked projections, including layer-skipping ones), and later complete
directed nets (directed projections, lateral ones with a zero-diagonal mask) and convolutional
Hopfield-ResNets (``kind="conv"`` and ``kind="identity"`` projections). Backends translate each
projection *kind* once; a new topology is a new generator, not a new engine.

Arrays are NumPy; a dense weight is stored as (post size, pre size), the (out, in) layout of
lava-dl's netx HDF5 files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lava_eqprop.errors import NetworkError
from lava_eqprop.network.activations import ACTIVATIONS, Activation

ROLES = ("input", "hidden", "output")
PROJECTION_KINDS = ("dense",)


@dataclass(eq=False)
class Population:
    """A group of rate neurons sharing an activation and a role.

    ``shape`` is ``(n,)`` for a vector population or ``(channels, height, width)`` for an image.
    ``role`` is ``"input"`` (clamped to the data), ``"hidden"`` or ``"output"`` (nudged towards
    the target in the nudged phase). ``bias`` has the population's shape; ``learn_bias`` says
    whether training changes it.
    """

    name: str
    shape: tuple[int, ...]
    activation: str = "hard_sigmoid"
    role: str = "hidden"
    bias: np.ndarray | None = None
    learn_bias: bool = True

    def __post_init__(self) -> None:
        self.shape = tuple(int(d) for d in self.shape)
        if self.bias is None:
            self.bias = np.zeros(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def act(self) -> Activation:
        return ACTIVATIONS[self.activation]

    @property
    def clamped(self) -> bool:
        return self.role == "input"


@dataclass(eq=False)
class Projection:
    """A weighted connection from population ``pre`` to population ``post``.

    ``kind="dense"``: ``weight`` is (post.size, pre.size); ``mask`` (same shape, bool) marks the
    connections that exist, and the weight is zero elsewhere. A *symmetric* projection is one
    energy term −s_postᵀ W s_pre (Scellier & Bengio 2017, eq. 1) that drives ``post`` with W·s_pre
    and ``pre`` with Wᵀ·s_post. A *directed* one drives ``post`` only. A symmetric projection
    from a population to itself (``pre == post``, "lateral") is the term −½ sᵀWs with W symmetric
    and a zero diagonal.
    """

    name: str
    pre: str
    post: str
    weight: np.ndarray
    kind: str = "dense"
    mask: np.ndarray | None = None
    symmetric: bool = True
    plastic: bool = True

    @property
    def lateral(self) -> bool:
        return self.pre == self.post

    @property
    def num_connections(self) -> int:
        """Number of synapses that exist (a lateral symmetric pair counts once)."""
        n = int(self.mask.sum()) if self.mask is not None else self.weight.size
        return n // 2 if (self.lateral and self.symmetric) else n

    @property
    def possible_connections(self) -> int:
        """Number of synapses an all-to-all projection of this shape would have."""
        if not self.lateral:
            return self.weight.size
        n = self.weight.shape[0]
        return n * (n - 1) // (2 if self.symmetric else 1)


@dataclass(eq=False)
class Network:
    """Populations and projections; the order of ``populations`` is the layer order."""

    name: str
    populations: list[Population]
    projections: list[Projection]
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    # ---- look-ups ----------------------------------------------------------------------
    def population(self, name: str) -> Population:
        for pop in self.populations:
            if pop.name == name:
                return pop
        raise NetworkError(f"network {self.name!r} has no population {name!r}; "
                           f"it has {[p.name for p in self.populations]}")

    def projection(self, name: str) -> Projection:
        for proj in self.projections:
            if proj.name == name:
                return proj
        raise NetworkError(f"network {self.name!r} has no projection {name!r}; "
                           f"it has {[p.name for p in self.projections]}")

    def index(self, population: str) -> int:
        """Position of a population in layer order."""
        return [p.name for p in self.populations].index(population)

    @property
    def inputs(self) -> list[Population]:
        return [p for p in self.populations if p.role == "input"]

    @property
    def outputs(self) -> list[Population]:
        return [p for p in self.populations if p.role == "output"]

    @property
    def free(self) -> list[Population]:
        """Populations whose state relaxes (everything not clamped)."""
        return [p for p in self.populations if not p.clamped]

    @property
    def symmetric(self) -> bool:
        """True when every projection is symmetric, i.e. the dynamics descend an energy."""
        return all(p.symmetric for p in self.projections)

    @property
    def num_connections(self) -> int:
        return sum(p.num_connections for p in self.projections)

    def layer_projections(self) -> list[Projection]:
        """Projections between neighbouring layers (index i to i+1): Gammell's "layers"."""
        return [p for p in self.projections
                if abs(self.index(p.post) - self.index(p.pre)) == 1]

    # ---- validation --------------------------------------------------------------------
    def validate(self) -> None:
        """Raise :class:`NetworkError` naming the first inconsistency found."""
        names = [p.name for p in self.populations]
        _unique(names, f"network {self.name!r}: population names")
        _unique([p.name for p in self.projections], f"network {self.name!r}: projection names")
        for pop in self.populations:
            self._validate_population(pop)
        if not self.inputs:
            raise NetworkError(f"network {self.name!r}: no population has role 'input'")
        if not self.outputs:
            raise NetworkError(f"network {self.name!r}: no population has role 'output'")
        for proj in self.projections:
            self._validate_projection(proj, names)

    def _validate_population(self, pop: Population) -> None:
        where = f"network {self.name!r}, population {pop.name!r}"
        if not pop.shape or any(d < 1 for d in pop.shape):
            raise NetworkError(f"{where}: shape must be positive integers, got {pop.shape}")
        if pop.activation not in ACTIVATIONS:
            raise NetworkError(f"{where}: activation {pop.activation!r} is not one of "
                               f"{sorted(ACTIVATIONS)}")
        if pop.role not in ROLES:
            raise NetworkError(f"{where}: role {pop.role!r} is not one of {list(ROLES)}")
        if np.shape(pop.bias) != pop.shape:
            raise NetworkError(f"{where}: bias has shape {np.shape(pop.bias)}, expected {pop.shape}")
        if not np.all(np.isfinite(pop.bias)):
            raise NetworkError(f"{where}: bias has non-finite values")

    def _validate_projection(self, proj: Projection, names: list[str]) -> None:
        where = f"network {self.name!r}, projection {proj.name!r}"
        for end in ("pre", "post"):
            if getattr(proj, end) not in names:
                raise NetworkError(f"{where}: {end} population {getattr(proj, end)!r} does not "
                                   f"exist; populations are {names}")
        if proj.kind not in PROJECTION_KINDS:
            raise NetworkError(f"{where}: kind {proj.kind!r} is not one of {list(PROJECTION_KINDS)}")
        pre, post = self.population(proj.pre), self.population(proj.post)
        if not proj.symmetric and post.clamped:
            raise NetworkError(f"{where}: a directed projection into the input population "
                               f"{post.name!r} would have no effect (inputs are clamped)")
        expected = (post.size, pre.size)
        if proj.weight.shape != expected:
            raise NetworkError(f"{where}: weight has shape {proj.weight.shape}, expected "
                               f"(post size, pre size) = {expected}")
        if not np.all(np.isfinite(proj.weight)):
            raise NetworkError(f"{where}: weight has non-finite values")
        if proj.mask is not None:
            if proj.mask.shape != expected or proj.mask.dtype != np.bool_:
                raise NetworkError(f"{where}: mask must be a bool array of shape {expected}, got "
                                   f"{proj.mask.dtype} {proj.mask.shape}")
            if np.any(proj.weight[~proj.mask] != 0):
                raise NetworkError(f"{where}: weight is non-zero where the mask is False")
        if proj.lateral:
            if np.any(np.diag(proj.weight) != 0) or (proj.mask is not None and proj.mask.diagonal().any()):
                raise NetworkError(f"{where}: a projection from a population to itself must have "
                                   f"a zero diagonal (no self-connections)")
            if proj.symmetric and not np.array_equal(proj.weight, proj.weight.T):
                raise NetworkError(f"{where}: a symmetric lateral projection needs W == W.T")
            if proj.symmetric and proj.mask is not None and not np.array_equal(proj.mask, proj.mask.T):
                raise NetworkError(f"{where}: a symmetric lateral projection needs a symmetric mask")


def _unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise NetworkError(f"{what}: {name!r} appears twice")
        seen.add(name)
