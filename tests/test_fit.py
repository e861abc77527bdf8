"""`actplot fit` (seed 002): a 1 -> H -> 1 network per activation and seed, trained as one batch."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import actplot
from actplot import fitting
from actplot.errors import SpecError
from actplot.expressions import parse
from actplot.spec import build_fit_spec


@pytest.mark.parametrize("name", ["tanh", "relu"])
def test_a_16_unit_network_fits_the_parabola(name):
    (run,) = fitting.train(build_fit_spec(name, hidden=16, steps=2000, target="x**2",
                                          range=(0, 2), device="cpu"))
    assert run.r2 > 0.99
    # the reported loss agrees with the network's error against x**2 itself, on the plot grid
    assert run.final_loss == pytest.approx(np.mean((run.output - run.plot_x**2) ** 2),
                                           rel=0.5, abs=1e-3)
    np.testing.assert_allclose(run.target, run.plot_x**2, rtol=1e-6)


def test_units_sum_to_the_output():
    runs = fitting.train(build_fit_spec(["relu", "elu", "tanh"], hidden=5, steps=50, seeds="0-2",
                                        device="cpu", dtype="float64"))
    for run in runs:
        w = run.weights
        rebuilt = np.zeros_like(run.plot_x)
        for i in range(5):  # each unit recomputed by hand from the weights, with numpy
            pre = w["w1"][i] * run.plot_x + w["b1"][i]
            f = {"relu": np.maximum(pre, 0), "tanh": np.tanh(pre),
                 "elu": np.where(pre > 0, pre, np.expm1(np.minimum(pre, 0)))}[run.function]
            np.testing.assert_allclose(run.units[i], w["w2"][i] * f, rtol=1e-12, atol=1e-12)
            rebuilt += run.units[i]
        np.testing.assert_allclose(run.units.sum(axis=0) + w["b2"][0], run.output, rtol=1e-12,
                                   atol=1e-12)
        np.testing.assert_allclose(rebuilt + w["b2"][0], run.output, rtol=1e-12, atol=1e-12)


def test_dead_units_are_counted_on_a_network_built_by_hand():
    x = torch.linspace(0, 2, 50, dtype=torch.float64)
    # unit 0: w1 = 1, b1 = -5, so relu(x - 5) = 0 on all of [0, 2] (dead for relu, not for elu);
    # unit 1: w1 = 1, b1 = 0 (alive); unit 2: w1 = -1, b1 = -0.5 (relu(-x - 0.5): dead)
    weights = {"w1": torch.tensor([[1.0, 1.0, -1.0]] * 2, dtype=torch.float64),
               "b1": torch.tensor([[-5.0, 0.0, -0.5]] * 2, dtype=torch.float64),
               "w2": torch.ones(2, 3, dtype=torch.float64),
               "b2": torch.zeros(2, dtype=torch.float64)}
    groups = [("relu", {}, 0, 1), ("elu", {"alpha": 1.0}, 1, 2)]
    _, _, pre = fitting.network(groups, weights, x)
    assert fitting.dead_units(groups, pre).tolist() == [2, 0]


@pytest.mark.slow
def test_seed_statistics_are_reproducible_and_counted():
    spec = build_fit_spec(["relu", "leaky_relu"], hidden=2, steps=600, seeds="0-9", device="cpu")
    first, second = fitting.train(spec), fitting.train(spec)
    assert [r.final_loss for r in first] == [r.final_loss for r in second]
    assert [(r.function, r.seed) for r in first][:3] == [("relu", 0), ("relu", 1), ("relu", 2)]
    # the same seed starts both activations from the same network
    assert np.array_equal(fitting.initial_weights(3, 2)["w1"], fitting.initial_weights(3, 2)["w1"])
    relu_dead = sum(r.dead_units for r in first if r.function == "relu")
    leaky_dead = sum(r.dead_units for r in first if r.function == "leaky_relu")
    assert leaky_dead == 0 and relu_dead > 0  # seed 002: relu units die, leaky relu's do not


@pytest.mark.slow
def test_batched_runs_equal_runs_trained_alone():
    together = fitting.train(build_fit_spec(["relu", "tanh"], hidden=3, steps=200, seeds="0-3",
                                            device="cpu", dtype="float64"))
    for run in (together[1], together[6]):
        (alone,) = fitting.train(build_fit_spec(run.function, hidden=3, steps=200, seed=run.seed,
                                                device="cpu", dtype="float64"))
        np.testing.assert_allclose(run.loss, alone.loss, rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["png", "svg", "gif"])
def test_same_seed_same_bytes(tmp_path, fmt):
    options = dict(hidden=2, steps=300, frames=5, dpi=50)
    actplot.fit(["relu", "tanh"], path=tmp_path / f"a.{fmt}", **options)
    actplot.fit(["relu", "tanh"], path=tmp_path / f"b.{fmt}", **options)
    assert (tmp_path / f"a.{fmt}").read_bytes() == (tmp_path / f"b.{fmt}").read_bytes()


@pytest.mark.slow
def test_the_gif_has_the_frames_asked_for(invoke, tmp_path):
    from PIL import Image

    result = invoke("fit", "relu", "--hidden", 2, "--steps", 100, "--frames", 7, "--dpi", 40,
                    "-o", tmp_path / "train.gif")
    assert result.exit_code == 0, result.stderr
    with Image.open(tmp_path / "train.gif") as image:
        assert image.format == "GIF" and image.n_frames == 7


def test_json_results(invoke):
    result = invoke("fit", "relu", "tanh", "--hidden", 2, "--steps", 50, "--seeds", "0,5", "--json")
    fits = json.loads(result.stdout)["fits"]
    assert [(f["function"], f["seed"]) for f in fits] == [("relu", 0), ("relu", 5), ("tanh", 0),
                                                        ("tanh", 5)]
    first = fits[0]
    assert set(first) == {"function", "params", "seed", "final_loss", "r2", "dead_units", "loss",
                          "weights"}
    assert len(first["loss"]) == 50 and set(first["weights"]) == {"w1", "b1", "w2", "b2"}
    assert first["loss"][0] > first["loss"][-1]


def test_the_figure_has_a_column_per_activation_and_three_rows(invoke, tmp_path):
    figure, runs = actplot.fit(["relu", "leaky_relu"], hidden=2, steps=200, seeds="0-3")
    assert len(runs) == 8
    assert len(figure.axes) == 6
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[0].startswith("relu (seed ") and "\nloss " in titles[0] and "dead unit" in titles[0]
    assert titles[4].split("\n")[0].endswith("of 4 seeds reach loss < 0.001")
    assert figure.axes[4].get_yscale() == "log"
    kinks = [c for c in figure.axes[2].collections if c.get_label() == "kink"]
    assert kinks  # each relu unit's kink inside the range is marked


@pytest.mark.slow
def test_params_sweeps_and_a_batch_table(invoke, tmp_path):
    spec = tmp_path / "fits.toml"
    spec.write_text('[[fit]]\nfunctions = ["leaky_relu"]\nparams = { negative_slope = [0, 0.2] }\n'
                    'hidden = 2\nsteps = 100\noutput = "sweep.json"\n')
    assert invoke("batch", spec, "-q").exit_code == 0
    fits = json.loads((tmp_path / "sweep.json").read_text())["fits"]
    assert [f["params"]["negative_slope"] for f in fits] == [0.0, 0.2]


@pytest.mark.parametrize("args, fragment", [
    (["--target", "y**2"], "unknown name 'y' at column 1"),
    (["--target", "__import__('os')"], "unknown function '__import__'"),
    (["--target", "x.real"], "(attribute) is not allowed"),
    (["--hidden", "0"], "hidden must be an integer from 1"),
    (["--steps", "0"], "steps must be an integer from 1"),
    (["--lr", "-0.1"], "the learning rate must be > 0"),
    (["--range", "1", "1"], "min (1) must be less than max (1)"),
    (["--seeds", "5-2"], "runs backwards"),
    (["--seed", "9", "--seeds", "0-3"], "must be one of --seeds (0-3)"),
    (["--frames", "500"], "frames must be an integer from 2 to 200"),
    (["-o", "fit.bmp"], "unknown output format '.bmp'"),
    (["--size", "1", "1"], "the smallest size that works is 1.6 x 3.9"),
    (["--target", "1/x"], "'1/x' is not finite at x = 0, inside [0, 2]"),
    (["-o", "-"], "use --json"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_fit_input_is_one_line_exit_2(invoke, tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    result = invoke("fit", "relu", *args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and fragment in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_vector_functions_cannot_be_hidden_activations():
    with pytest.raises(SpecError, match="element-wise"):
        build_fit_spec("softmax")


@pytest.mark.parametrize("text, want", [
    ("x**2", lambda x: x**2), ("square", lambda x: x**2), ("sin(3*x) + abs(x)",
                                                            lambda x: np.sin(3 * x) + abs(x)),
    ("where(x >= 0.5, 1, 0)", lambda x: (x >= 0.5) * 1.0), ("x if x > 1 else -x",
                                                           lambda x: np.where(x > 1, x, -x)),
    ("clamp(x, 0.5, 1.5) * pi", lambda x: np.clip(x, 0.5, 1.5) * math.pi),
    ("sawtooth", lambda x: x - np.floor(x)), ("max(x, 1) - min(x, 1)", lambda x: abs(x - 1)),
])
def test_target_expressions(text, want):
    x = np.linspace(-2, 2, 41)
    got = parse(text)(torch.tensor(x), fitting.torch_ops()).numpy()
    np.testing.assert_allclose(got, want(x), rtol=1e-14, atol=1e-14)


def test_the_parser_never_evaluates_python(monkeypatch):
    """ast.parse calls compile() with PyCF_ONLY_AST, which only parses: that is allowed, and
    nothing else may see the user's text."""
    import ast
    import builtins

    text = "sin(x) ** 2 + 1"
    misuse = []
    real = {name: getattr(builtins, name) for name in ("eval", "exec", "compile")}

    def guard(name):
        def call(source, *args, **kwargs):
            flags = kwargs.get("flags", args[2] if len(args) > 2 else 0)
            if isinstance(source, str) and text in source and not (
                    name == "compile" and flags & ast.PyCF_ONLY_AST):
                misuse.append(name)
            return real[name](source, *args, **kwargs)
        return call

    for name in real:
        monkeypatch.setattr(builtins, name, guard(name))
    value = parse(text)(torch.linspace(0, 1, 3, dtype=torch.float64), fitting.torch_ops())
    monkeypatch.undo()
    assert misuse == []
    np.testing.assert_allclose(value.numpy(), np.sin([0, 0.5, 1]) ** 2 + 1, rtol=1e-15)
    for bad in ["().__class__", "[x for x in ()]", "lambda: 0", "x[0]", "'a'", "{}", "f'{x}'",
                "(x := 1)", "x" * 501]:
        with pytest.raises(SpecError):
            parse(bad)


def test_api_fit_checks_keywords_and_the_pixel_budget_before_training(tmp_path):
    with pytest.raises(SpecError, match="did you mean 'hidden'"):
        actplot.fit("relu", hiden=2)
    with pytest.raises(SpecError, match="megapixel budget"):
        actplot.fit("relu", size=(100, 100), dpi=2400, path=tmp_path / "big.png")
    assert list(tmp_path.iterdir()) == []


def test_every_animation_frame_shows_that_steps_network_numbers_bias_and_kinks():
    """The frames' own data, read back from the artists each frame draws: units + bias = network,
    the title's loss is the training history's at that step, and the kinks sit where
    w1 x + b1 = 0, computed here by hand."""
    from actplot import fitplot

    spec = build_fit_spec("relu", hidden=3, steps=300, frames=4, device="cpu", dtype="float64")
    (run,) = fitting.train(spec)
    frames = fitplot.animation_frames([run], spec)
    figure = next(frames)
    fit_ax, unit_ax, _ = figure.axes[:3]
    seen_titles = set()
    for state, _ in zip(run.frames, frames):
        w = state.weights
        drawn_units = [line.get_ydata() for line in unit_ax.get_lines()[:3]]
        network = [line for line in fit_ax.get_lines() if line.get_label() == "network"][0]
        bias = [line for line in unit_ax.get_lines() if line.get_label() == "output bias"][0]
        assert bias.get_ydata()[0] == pytest.approx(w["b2"][0], abs=1e-12)
        np.testing.assert_allclose(np.sum(drawn_units, axis=0) + bias.get_ydata()[0],
                                   network.get_ydata(), atol=1e-9)
        by_hand = w["w2"][:, None] * np.maximum(np.outer(w["w1"], run.plot_x) + w["b1"][:, None], 0)
        np.testing.assert_allclose(drawn_units, by_hand, atol=1e-9)
        loss = run.loss[state.step] if state.step < spec.steps else run.final_loss
        assert f"loss {loss:.2e}" in fit_ax.get_title()
        seen_titles.add(fit_ax.get_title())
        kinks = sorted(x0 for x0 in -w["b1"] / w["w1"] if 0 <= x0 <= 2)
        drawn = sorted(unit_ax.collections[0].get_offsets()[:, 0])
        np.testing.assert_allclose(drawn, kinks, atol=1e-12)
    assert len(seen_titles) == 4  # not the final numbers on every frame
    figure.clear()


def test_the_shown_seed_is_the_one_where_the_functions_differ_and_seed_picks_another(tmp_path):
    spec = build_fit_spec(["relu", "leaky_relu"], hidden=2, seeds="0-7", steps=400, tol=0.02,
                          device="cpu")
    runs = fitting.train(spec)
    from actplot import fitplot

    columns = fitplot._columns(runs, spec)
    shown = fitplot.shown_seed_index(columns, spec)
    gaps = [columns[0][i].dead_units - columns[1][i].dead_units for i in range(8)]
    assert gaps[shown] == max(gaps) > 0  # relu lost a unit where leaky_relu did not
    figure, _ = actplot.fit(["relu", "leaky_relu"], hidden=2, seeds="0-7", seed=5, steps=400,
                            tol=0.02, device="cpu")
    assert "(seed 5)" in figure.axes[0].get_title()
    loss_title = figure.axes[4].get_title()  # row-major: fits, units, then losses
    assert f"{sum(r.dead_units > 0 for r in columns[0])} of 8 lose a unit" in loss_title
    with pytest.raises(SpecError, match="must be one of --seeds"):
        build_fit_spec("relu", seeds="0-7", seed=9)


def test_float64_trains_like_float32():
    """float64 runs once stopped after their first step (Adam stepping a view): both dtypes
    follow the same loss curve."""
    curves = [fitting.train(build_fit_spec("relu", hidden=3, steps=100, device="cpu",
                                           dtype=dtype))[0].loss for dtype in ("float32", "float64")]
    np.testing.assert_allclose(curves[1], curves[0], rtol=1e-4)
    assert curves[1][-1] < 0.5 * curves[1][0]


def test_a_swept_column_is_titled_by_the_formulas_symbol_and_an_import_by_its_name(tmp_path):
    import actplot

    figure, _ = actplot.fit("leaky_relu", params={"negative_slope": [0, 0.2]}, hidden=2,
                            steps=5)
    titles = [ax.get_title().split("\n")[0] for ax in figure.axes[:2]]
    assert titles == ["leaky_relu, $\\alpha$ = 0", "leaky_relu, $\\alpha$ = 0.2"]
    module = tmp_path / ("a_folder_with_a_long_name_" * 4) / "mine.py"
    module.parent.mkdir()
    module.write_text("def good(x):\n    return x * 2\n")
    figure, _ = actplot.fit(f"{module}:good", hidden=2, steps=5)
    assert figure.axes[0].get_title().split("\n")[0] == "good"
