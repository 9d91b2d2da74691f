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
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from lava_eqprop.errors import NetworkError
from lava_eqprop.network.activations import ACTIVATIONS, Activation

ROLES = ("input", "hidden", "output")
PROJECTION_KINDS = ("dense", "conv", "identity")
POOLS = ("max", "avg")


@dataclass(frozen=True)
class ConvGeometry:
    """How a ``kind="conv"`` projection slides its kernel: stride and zero padding (both sides
    of both image axes), then optionally a ``pool_size``×``pool_size`` max or average pooling
    with stride ``pool_size`` inside the energy (Laborieux et al. 2021). Sizes floor, as in
    PyTorch: rows or columns that a window does not fit are not connected."""

    stride: int = 1
    padding: int = 0
    pool: str | None = None
    pool_size: int = 2

    def output_size(self, size: int, kernel: int) -> int:
        """The post population's height (width) for a pre height (width) ``size``."""
        conv = conv_output_size(size, kernel, self.stride, self.padding)
        return conv // self.pool_size if self.pool else conv


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """⌊(size + 2·padding − kernel) / stride⌋ + 1, the positions a kernel takes on one axis."""
    return (size + 2 * padding - kernel) // stride + 1


@dataclass(eq=False, init=False)
class Population:
    """A group of rate neurons sharing an activation and a role.

    ``shape`` is ``(n,)`` for a vector population or ``(channels, height, width)`` for an image.
    ``role`` is ``"input"`` (clamped to the data), ``"hidden"`` or ``"output"`` (nudged towards
    the target in the nudged phase). ``bias`` has the population's shape, or ``(channels,)``
    for an image population with one bias per channel (a conv layer's); ``learn_bias`` says
    whether training changes it.
    """

    name: str
    shape: tuple[int, ...]
    activation: str
    role: str
    bias: np.ndarray
    learn_bias: bool

    def __init__(self, name: str, shape: Sequence[int], activation: str = "hard_sigmoid",
                 role: str = "hidden", bias: np.ndarray | None = None,
                 learn_bias: bool = True) -> None:
        """``bias`` None: zeros of the population's shape."""
        self.name, self.shape = name, tuple(int(d) for d in shape)
        self.activation, self.role, self.learn_bias = activation, role, learn_bias
        self.bias = np.zeros(self.shape) if bias is None else bias

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def channel_bias(self) -> bool:
        """True when the bias is one value per channel of an image population."""
        return len(self.shape) == 3 and np.shape(self.bias) == self.shape[:1]

    def flat_bias(self) -> np.ndarray:
        """The bias of every neuron, flattened (a channel bias repeated over the image)."""
        if self.channel_bias:
            return np.repeat(self.bias, self.shape[1] * self.shape[2])
        return self.bias.reshape(-1)

    def bias_sum(self, values: np.ndarray) -> np.ndarray:
        """Σ over the batch (and, for a channel bias, the image) of per-neuron ``values``
        (batch, size): −∂E/∂b summed, in the bias's shape."""
        total = values.sum(axis=0).reshape(self.shape)
        return total.sum(axis=(1, 2)) if self.channel_bias else total

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

    ``kind="conv"``: between image populations (channels, height, width); ``weight`` is the
    shared kernel (post channels, pre channels, kh, kw) and ``geometry`` its stride, padding and
    pooling. The energy term is −⟨P(W ⋆ s_pre), s_post⟩ (⋆ the cross-correlation of deep
    learning's "conv", P the pooling or nothing); its feedback to ``pre`` is the transposed
    convolution of (the unpooled) s_post (Ernoult et al. 2019, Laborieux et al. 2021).

    ``kind="identity"``: a fixed residual skip between populations of one shape, the term
    −g⟨s_pre, s_post⟩ with ``weight`` the scalar g (shape ()).
    """

    name: str
    pre: str
    post: str
    weight: np.ndarray
    kind: str = "dense"
    mask: np.ndarray | None = None
    symmetric: bool = True
    plastic: bool = True
    geometry: ConvGeometry | None = None

    @property
    def lateral(self) -> bool:
        return self.pre == self.post

    @property
    def conv_geometry(self) -> ConvGeometry:
        """The geometry of a conv projection, which always has one (:class:`NetworkError`
        for a projection without)."""
        if self.geometry is None:
            raise NetworkError(f"projection {self.name!r} ({self.kind}) has no conv geometry")
        return self.geometry

    def count_connections(self, pre_shape: tuple[int, ...]) -> int:
        """Number of synapses that exist (a lateral symmetric pair counts once). A conv
        projection has one synapse per pre neuron and conv-output neuron its kernel joins
        (kernel taps on the padding join nothing); an identity projection one per neuron."""
        if self.kind == "identity":
            return math.prod(pre_shape)
        if self.kind == "conv":
            geo, (c_out, c_in, kh, kw) = self.conv_geometry, self.weight.shape
            return (c_out * c_in * _taps_on_image(pre_shape[1], kh, geo)
                    * _taps_on_image(pre_shape[2], kw, geo))
        n = int(self.mask.sum()) if self.mask is not None else self.weight.size
        return n // 2 if (self.lateral and self.symmetric) else n

    def count_possible_connections(self, pre_size: int, post_size: int) -> int:
        """Number of synapses an all-to-all projection between these populations would have."""
        if not self.lateral:
            return pre_size * post_size
        return pre_size * (pre_size - 1) // (2 if self.symmetric else 1)


def _taps_on_image(size: int, kernel: int, geo: ConvGeometry) -> int:
    """Σ over a conv's output positions on one axis of the kernel taps that land on the image
    (not on the padding)."""
    positions = conv_output_size(size, kernel, geo.stride, geo.padding)
    starts = np.arange(positions) * geo.stride - geo.padding
    return int(sum(min(s + kernel, size) - max(s, 0) for s in starts))


@dataclass(eq=False)
class Network:
    """Populations and projections; the order of ``populations`` is the layer order.

    ``spec_text``: the TOML text of the model spec the network was generated from and is run
    with (its dynamics, loss and data); "" for a network built by hand, which then needs a spec
    wherever dynamics are needed."""

    name: str
    populations: list[Population]
    projections: list[Projection]
    metadata: dict = field(default_factory=dict)
    spec_text: str = field(default="", repr=False)

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
        return sum(self.connections(p) for p in self.projections)

    def connections(self, proj: Projection) -> int:
        """Synapses of ``proj`` that exist (see :meth:`Projection.count_connections`)."""
        return proj.count_connections(self.population(proj.pre).shape)

    def possible_connections(self, proj: Projection) -> int:
        """Synapses an all-to-all projection between the same populations would have."""
        return proj.count_possible_connections(self.population(proj.pre).size,
                                               self.population(proj.post).size)

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
        if np.shape(pop.bias) != pop.shape and not pop.channel_bias:
            allowed = f"{pop.shape} or {pop.shape[:1]} (per channel)" if len(pop.shape) == 3 \
                else f"{pop.shape}"
            raise NetworkError(f"{where}: bias has shape {np.shape(pop.bias)}, expected {allowed}")
        if not np.all(np.isfinite(pop.bias)):
            raise NetworkError(f"{where}: bias has non-finite values")

    def _validate_projection(self, proj: Projection, names: list[str]) -> None:
        where = f"network {self.name!r}, projection {proj.name!r}"
        for end in ("pre", "post"):
            if getattr(proj, end) not in names:
                raise NetworkError(f"{where}: {end} population {getattr(proj, end)!r} does not "
                                   f"exist; populations are {names}")
        if proj.kind not in PROJECTION_KINDS:
            raise NetworkError(f"{where}: kind {proj.kind!r} is not one of "
                               f"{list(PROJECTION_KINDS)}")
        pre, post = self.population(proj.pre), self.population(proj.post)
        if not proj.symmetric and post.clamped:
            raise NetworkError(f"{where}: a directed projection into the input population "
                               f"{post.name!r} would have no effect (inputs are clamped)")
        if not np.all(np.isfinite(proj.weight)):
            raise NetworkError(f"{where}: weight has non-finite values")
        if proj.kind != "dense":
            if proj.mask is not None:
                raise NetworkError(f"{where}: a {proj.kind} projection takes no mask")
            if proj.lateral:
                raise NetworkError(f"{where}: a {proj.kind} projection must join two different "
                                   "populations")
        if proj.kind == "conv":
            _validate_conv(where, proj, pre, post)
        elif proj.kind == "identity":
            if proj.weight.shape != ():
                raise NetworkError(f"{where}: an identity projection's weight is its scalar "
                                   f"gain, shape (), got {proj.weight.shape}")
            if pre.shape != post.shape:
                raise NetworkError(f"{where}: an identity projection joins populations of one "
                                   f"shape, got {pre.shape} -> {post.shape}")
        else:
            _validate_dense(where, proj, pre, post)


def _validate_dense(where: str, proj: Projection, pre: Population, post: Population) -> None:
    expected = (post.size, pre.size)
    if proj.weight.shape != expected:
        raise NetworkError(f"{where}: weight has shape {proj.weight.shape}, expected "
                           f"(post size, pre size) = {expected}")
    if proj.geometry is not None:
        raise NetworkError(f"{where}: a dense projection has no conv geometry")
    if proj.mask is not None:
        if proj.mask.shape != expected or proj.mask.dtype != np.bool_:
            raise NetworkError(f"{where}: mask must be a bool array of shape {expected}, got "
                               f"{proj.mask.dtype} {proj.mask.shape}")
        if np.any(proj.weight[~proj.mask] != 0):
            raise NetworkError(f"{where}: weight is non-zero where the mask is False")
    if proj.lateral:
        if np.any(np.diag(proj.weight) != 0) or (proj.mask is not None
                                                 and proj.mask.diagonal().any()):
            raise NetworkError(f"{where}: a projection from a population to itself must have "
                               f"a zero diagonal (no self-connections)")
        if proj.symmetric and not np.array_equal(proj.weight, proj.weight.T):
            raise NetworkError(f"{where}: a symmetric lateral projection needs W == W.T")
        if proj.symmetric and proj.mask is not None and not np.array_equal(proj.mask, proj.mask.T):
            raise NetworkError(f"{where}: a symmetric lateral projection needs a symmetric mask")


def _validate_conv(where: str, proj: Projection, pre: Population, post: Population) -> None:
    geo = proj.geometry
    if geo is None:
        raise NetworkError(f"{where}: a conv projection needs a geometry (stride, padding, pool)")
    if geo.stride < 1 or geo.padding < 0 or geo.pool_size < 1:
        raise NetworkError(f"{where}: stride and pool_size must be >= 1 and padding >= 0, got "
                           f"stride {geo.stride}, padding {geo.padding}, pool_size {geo.pool_size}")
    if geo.pool is not None and geo.pool not in POOLS:
        raise NetworkError(f"{where}: pool {geo.pool!r} is not one of {list(POOLS)} or None")
    if len(pre.shape) != 3 or len(post.shape) != 3:
        raise NetworkError(f"{where}: a conv projection joins image populations (channels, "
                           f"height, width), got {pre.shape} -> {post.shape}")
    if proj.weight.ndim != 4 or proj.weight.shape[:2] != (post.shape[0], pre.shape[0]):
        raise NetworkError(f"{where}: kernel has shape {proj.weight.shape}, expected (post "
                           f"channels {post.shape[0]}, pre channels {pre.shape[0]}, kh, kw)")
    kh, kw = proj.weight.shape[2:]
    expected = (post.shape[0], geo.output_size(pre.shape[1], kh), geo.output_size(pre.shape[2], kw))
    if post.shape != expected:
        raise NetworkError(f"{where}: a {kh}x{kw} kernel with stride {geo.stride}, padding "
                           f"{geo.padding}" + (f", {geo.pool} pool {geo.pool_size}" if geo.pool
                                              else "")
                           + f" maps {pre.shape} to {expected}, but {post.name!r} is {post.shape}")
    if geo.pool == "max" and proj.symmetric and post.clamped:
        raise NetworkError(f"{where}: a max-pooled projection cannot feed back into a clamped "
                           "population (its feedback depends on the pre state)")


def _unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise NetworkError(f"{what}: {name!r} appears twice")
        seen.add(name)
