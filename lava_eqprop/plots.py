"""PNG plots of training runs.

Figures are made with matplotlib's object API and drawn by its Agg canvas, without pyplot: no
display is needed, and importing this module does not change the backend of a notebook or of
the caller's own plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from lava_eqprop.io.atomic import atomic_path


def _save(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")


def _subplots(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """A figure on its own Agg canvas and its axes, as ``pyplot.subplots`` returns them."""
    figsize = kwargs.pop("figsize", None)
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def _grid_and_legend(ax) -> None:
    """The light grid (minor lines too, on log axes) and small legend of every plot here."""
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)


def plot_errors(runs: dict[str, list[dict[str, Any]]] | list[dict[str, Any]], path: str | Path,
                title: str = "") -> None:
    """Train (dashed) and test (solid; dotted: persistent particles) error per epoch, one colour
    per run."""
    runs = runs if isinstance(runs, dict) else {"": runs}
    fig, ax = _subplots(figsize=(6, 4))
    for k, (label, history) in enumerate(runs.items()):
        epochs = [r["epoch"] for r in history]
        colour = f"C{k}"
        ax.plot(epochs, [100 * r["train_error"] for r in history], "--", color=colour,
                label=f"{label} train".strip())
        ax.plot(epochs, [100 * r["test_error"] for r in history], "-", color=colour,
                label=f"{label} test".strip())
        if history and history[0].get("test_error_persistent") is not None:
            ax.plot(epochs, [100 * r["test_error_persistent"] for r in history], ":", color=colour,
                    label=f"{label} test, persistent particles".strip())
    ax.set_xlabel("epoch")
    ax.set_ylabel("error (%)")
    ax.set_yscale("log")
    _grid_and_legend(ax)
    ax.set_title(title)
    _save(fig, Path(path))


def plot_updates(runs: dict[str, list[dict[str, Any]]] | list[dict[str, Any]], path: str | Path,
                 title: str = "", labels: list[str] | None = None) -> None:
    """Mean |ΔW| of each layer pair per epoch (Gammell et al. 2021, Fig. 3), log scale.

    ``labels`` names the layer pairs (the projections between neighbouring layers)."""
    runs = runs if isinstance(runs, dict) else {"": runs}
    fig, axes = _subplots(1, len(runs), figsize=(5.5 * len(runs), 4), squeeze=False, sharey=True)
    for ax, (label, history) in zip(axes[0], runs.items()):
        epochs = [r["epoch"] for r in history]
        layers = len(history[0]["layer_mean_abs_dw"]) if history else 0
        for k in range(layers):
            ax.plot(epochs, [r["layer_mean_abs_dw"][k] for r in history], marker="o", ms=3,
                    label=labels[k] if labels else f"layer pair {k}→{k + 1}")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(label or title)
        _grid_and_legend(ax)
    axes[0][0].set_ylabel("mean |ΔW| per connection")
    if title and len(runs) > 1:
        fig.suptitle(title)
    _save(fig, Path(path))


def plot_rewiring_sweep(ratios: dict[float, list[float]], labels: list[str], path: str | Path,
                        limit: float = 10.0) -> None:
    """The deepest layer pair's RMS correction over each shallower pair's against the rewiring
    probability p (tools/gammell_p_sweep.py; Gammell et al. 2021), log scale, with a line at
    ``limit``. ``ratios[p]`` lists one ratio per layer pair, in the order of ``labels``."""
    ps = sorted(ratios)
    fig, ax = _subplots(figsize=(6, 4))
    for k, label in enumerate(labels[:-1]):
        ax.plot(ps, [ratios[p][k] for p in ps], "o-", label=label)
    ax.axhline(limit, ls="--", color="grey", label=f"{limit:g}x")
    ax.set_yscale("log")
    ax.set_xlabel("rewiring probability p")
    ax.set_ylabel(f"RMS correction: {labels[-1]} over layer pair")
    _grid_and_legend(ax)
    ax.set_title("Gammell et al. 2021 net on MNIST, one global rate")
    _save(fig, Path(path))


def plot_bitdepth(bits: list[int], test_error: dict[str, list[float]], reference: dict[str, float],
                  path: str | Path, title: str = "") -> None:
    """Test error after fixed-point training against the weight width, one line per network;
    each network's floating-point reference (same settings and seed) as a dashed line."""
    fig, ax = _subplots(figsize=(6, 4))
    for k, (label, errors) in enumerate(test_error.items()):
        colour = f"C{k}"
        ax.plot(bits, [100 * e for e in errors], "o-", color=colour, label=f"{label}, fixed point")
        if label in reference:
            ax.axhline(100 * reference[label], ls="--", color=colour,
                       label=f"{label}, float engine")
    ax.set_xlabel("weight bits (mantissa, sign included)")
    ax.set_ylabel("test error (%)")
    ax.set_xticks(bits)
    ax.set_yscale("log")
    _grid_and_legend(ax)
    ax.set_title(title)
    _save(fig, Path(path))


def plot_depth_study(curves: dict[str, dict[str, list[float]]], path: str | Path) -> None:
    """Training loss (left) and test error (right) per epoch, one line per net; nets with
    skips solid, plain nets dashed, one colour per depth."""
    fig, (loss_ax, error_ax) = _subplots(1, 2, figsize=(10, 4))
    depths = sorted({name.split("_")[0] for name in curves}, key=int)
    for name, curve in curves.items():
        colour = f"C{depths.index(name.split('_')[0])}"
        style = "-" if name.endswith("skips") else "--"
        epochs = range(1, len(curve["train_loss"]) + 1)
        label = name.replace("_", " ")
        loss_ax.plot(epochs, curve["train_loss"], style, color=colour, label=label)
        error_ax.plot(epochs, [100 * e for e in curve["test_error"]], style, color=colour,
                      label=label)
    loss_ax.set_ylabel("training loss (free phase)")
    error_ax.set_ylabel("test error (%)")
    for ax in (loss_ax, error_ax):
        ax.set_xlabel("epoch")
        _grid_and_legend(ax)
    fig.suptitle("Depth study: convolutional Hopfield nets with and without skips (digits)")
    _save(fig, Path(path))


def plot_panels(panels: dict[str, dict[str, list[float]]], path: str | Path, *, xlabel: str,
                ylabel: str, ncols: int = 3, title: str = "") -> None:
    """One panel per key of ``panels``, each a line per series (x = 1, 2, ...), log y; a
    series whose label starts with "authors" is drawn dashed in grey shades (a published
    reference beside the runs)."""
    rows = -(-len(panels) // ncols)
    fig, axes = _subplots(rows, ncols, figsize=(4.5 * ncols, 3.4 * rows), squeeze=False)
    for ax, (panel, series) in zip(axes.flat, panels.items()):
        shade = 0
        for k, (label, values) in enumerate(series.items()):
            xs = range(1, len(values) + 1)
            if label.startswith("authors"):
                ax.plot(xs, values, "--", color=str(0.15 + 0.25 * shade), label=label)
                shade += 1
            else:
                ax.plot(xs, values, "-", color=f"C{k}", label=label, marker="o", ms=2)
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(panel, fontsize=9)
        _grid_and_legend(ax)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.subplots_adjust(hspace=0.45)   # a row's panel titles clear the x labels above them
    fig.suptitle(title, y=1.02)
    _save(fig, Path(path))


def plot_p_sweep(curves: dict[str, dict[float, float]], path: str | Path, title: str = "") -> None:
    """Test error against the rewiring probability p, one line per source (``curves[label][p]``),
    log x with p = 0 drawn at the left edge (a tenth of the smallest p > 0) and marked."""
    fig, ax = _subplots(figsize=(6, 4))
    positive = [p for curve in curves.values() for p in curve if p > 0]
    zero_at = min(positive) / 10 if positive else 1e-4
    for label, curve in curves.items():
        ps = sorted(curve)
        ax.plot([p if p > 0 else zero_at for p in ps], [100 * curve[p] for p in ps], "o-",
                ms=3, label=label)
    ax.axvline(zero_at, color="grey", lw=0.5)
    ax.annotate("p = 0", (zero_at, 0.02), xycoords=("data", "axes fraction"), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("rewiring probability p")
    ax.set_ylabel("test error (%)")
    _grid_and_legend(ax)
    ax.set_title(title)
    _save(fig, Path(path))


def plot_directed_study(results: dict[str, dict[str, Any]], path: str | Path,
                        dataset: str = "digits") -> None:
    """Directed against layered nets (tools/directed_digits.py): test error per epoch (left),
    and test error against the fraction of the smallest weights removed after training
    (right); directed nets solid, layered dashed."""
    fig, (epoch_ax, sparse_ax) = _subplots(1, 2, figsize=(10, 4))
    for k, (name, r) in enumerate(results.items()):
        style = "--" if name.startswith("layered") else "-"
        label = f"{name.replace('_', ' ')} ({r['weights']} weights)"
        epochs = range(1, len(r["test_error"]) + 1)
        epoch_ax.plot(epochs, [100 * e for e in r["test_error"]], style, color=f"C{k}",
                      label=label)
        sparse_ax.plot([100 * row["removed"] for row in r["sparsity"]],
                       [100 * row["test_error"] for row in r["sparsity"]], style + "o",
                       color=f"C{k}", label=label)
    epoch_ax.set_xlabel("epoch")
    sparse_ax.set_xlabel("smallest weights removed after training (%)")
    for ax in (epoch_ax, sparse_ax):
        ax.set_ylabel("test error (%)")
        _grid_and_legend(ax)
    fig.suptitle(f"Directed (DEEP) and symmetric layered EP nets on {dataset}")
    _save(fig, Path(path))


def plot_sweep(groups: list[dict[str, Any]], path: str | Path, title: str = "") -> None:
    """A sweep's final test error per group of points (mean over its seeds, the bar; each
    seed, a dot), one bar per group, labelled with its settings."""
    fig, ax = _subplots(figsize=(max(4.0, 0.9 * len(groups) + 2), 4))
    for k, group in enumerate(groups):
        values = [100 * v for v in group["test_errors"]]
        if values:
            ax.bar(k, sum(values) / len(values), color="C0", alpha=0.6)
            ax.plot([k] * len(values), values, "o", color="C1", markersize=4)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([g["label"] for g in groups], rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("test error after the last epoch (%)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title(title)
    _save(fig, Path(path))
