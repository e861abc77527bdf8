"""The Python API: same names and validation as the CLI, exceptions instead of exits."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import actplot
from actplot.errors import SpecError


def test_evaluate_one_and_many():
    relu = actplot.evaluate("relu", range=(-2, 2), points=5, grad=True)
    assert isinstance(relu.y, np.ndarray) and len(relu.x) == 7  # 5, plus either side of the kink
    assert relu.x[[0, 1, 3, 5, 6]].tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert -1e-5 < relu.x[2] < 0 < relu.x[4] < 1e-5
    np.testing.assert_array_equal(relu.y, np.maximum(relu.x, 0))
    both = actplot.evaluate(["sigmoid", "tanh"], at=[0.0, 1.0], order=2, dtype="float64")
    assert [s.function for s in both] == ["sigmoid", "tanh"]
    t = np.tanh([0.0, 1.0])
    np.testing.assert_allclose(both[1].derivatives[1], -2 * t * (1 - t**2), rtol=1e-14)


def test_plot_returns_a_figure_that_shows_in_jupyter():
    figure = actplot.plot(["sigmoid", "tanh"], grad=True, title="Two sigmoids")
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 4
    assert figure.axes[0].get_xlim() == (-5.0, 5.0)  # exactly the range asked for
    assert figure.get_suptitle() == "Two sigmoids"
    png, shown = figure._repr_png_()
    assert png.startswith(b"\x89PNG")
    # twice the pixels, shown at the figure's size: crisp on a HiDPI (retina) screen
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (2 * shown["width"], 2 * shown["height"])
    width, height = figure.get_size_inches() * figure.dpi
    assert abs(shown["width"] - width) <= 0.5 and abs(shown["height"] - height) <= 0.5
    assert figure._repr_svg_().lstrip().startswith("<?xml")


def test_rows_share_x_within_a_row():
    figure = actplot.plot(["relu", "elu"], order=2, range=(-3, 4))
    first = figure.axes[0]
    assert first.get_shared_x_axes().joined(first, figure.axes[2])
    assert not first.get_shared_x_axes().joined(first, figure.axes[3])


def test_save_writes_files_atomically(tmp_path):
    path = actplot.save(tmp_path / "gelu.svg", "gelu", params={"approximate": "tanh"}, grad=True)
    assert path.read_bytes().startswith(b"<?xml")
    actplot.save(tmp_path / "gelu.json", "gelu", points=7)
    assert '"function":"gelu"' in (tmp_path / "gelu.json").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gelu.json", "gelu.svg"]


@pytest.mark.parametrize("call, field", [
    (lambda: actplot.evaluate("rleu"), "functions"),
    (lambda: actplot.evaluate("relu", range=(1, 0)), "range"),
    (lambda: actplot.plot("elu", params={"alpha": "x"}), "params"),
    (lambda: actplot.plot("elu", params={"elu.beta": 1}), "params"),
    (lambda: actplot.evaluate("relu", device="cuda:3"), "device"),
    (lambda: actplot.save("/nonexistent/dir/r.png", "relu"), "output"),
    (lambda: actplot.save("r.bmp", "relu"), "output"),
    (lambda: actplot.evaluate("relu", points=1), "points"),
], ids=["function", "range", "value", "param", "device", "folder", "format", "points"])
def test_bad_input_raises_spec_error(call, field):
    with pytest.raises(SpecError) as caught:
        call()
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


def test_params_accept_nested_and_dotted_forms():
    a = actplot.evaluate(["elu", "celu"], at=[-1.0], params={"celu": {"alpha": 2.0}})
    b = actplot.evaluate(["elu", "celu"], at=[-1.0], params={"celu.alpha": 2.0})
    assert [s.params for s in a] == [s.params for s in b] == [{"alpha": 1.0}, {"alpha": 2.0}]
