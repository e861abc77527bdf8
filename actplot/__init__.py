"""actplot: plot activation functions and their autograd derivatives.

    import actplot
    figure = actplot.plot(["sigmoid", "tanh"], grad=True)      # a matplotlib Figure
    series = actplot.evaluate("relu", range=(-2, 2), grad=True)  # numpy x, y, dy
    actplot.save("relu.svg", "relu", range=(-20, 20), grad=True)
    figure, records = actplot.depth(["tanh", "relu"], layers=30, seeds="0-9")
"""

__version__ = "0.1.0"

from .api import depth, evaluate, explore, fit, info, plot, save, text_plot  # noqa: E402  (light: torch loads on first call)
from .errors import ActplotError, ComputeError, SpecError  # noqa: E402
from .registry import REGISTRY  # noqa: E402
from .spec import FigureSpec, Series, build_spec  # noqa: E402

__all__ = ["ActplotError", "ComputeError", "FigureSpec", "REGISTRY", "Series", "SpecError",
           "__version__", "build_spec", "depth", "evaluate", "explore", "fit", "info", "plot", "save",
           "interact", "text_plot"]


def load_ipython_extension(ipython) -> None:
    """`%load_ext actplot`: the %actplot and %%actplot magics (actplot.ipython)."""
    from .ipython import load

    load(ipython)


def interact(function: str, grad: bool = True, **options):
    """ipywidgets sliders for a function's parameters, redrawing f and f' (see
    actplot.ipython.interact); needs ipywidgets."""
    from .ipython import interact as sliders

    return sliders(function, grad=grad, **options)
