"""The committed notebooks: jupytext pairs in sync, no outputs, papermill parameters."""

from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def _cells(notebook):
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_the_notebooks_exist():
    assert {p.stem for p in NOTEBOOKS} == {"experiment", "figures"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_is_in_sync(path):
    script = path.with_suffix(".py")
    assert script.exists(), f"{path.name} has no paired percent script {script.name}"
    assert _cells(jupytext.read(path)) == _cells(jupytext.read(script)), (
        f"{path.name} and {script.name} differ: run `jupytext --sync notebooks/{script.name}`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_template_has_no_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: code cells {dirty} carry outputs; commit templates without outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_template_has_one_parameters_cell(path):
    notebook = nbformat.read(path, as_version=4)
    tagged = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: expected one cell tagged 'parameters', found {len(tagged)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_declares_what_check_parameters_knows(path):
    from helpers.job import template_defaults
    from helpers.notebook import NOTEBOOK_PARAMETERS, check_parameters

    defaults = template_defaults(path.stem)
    assert list(defaults) == list(NOTEBOOK_PARAMETERS[path.stem])
    check_parameters(path.stem, defaults, injected=())
    script = path.with_suffix(".py").read_text()
    assert f'check_parameters("{path.stem}", globals())' in script  # the first thing the notebook does


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_reads_every_declared_parameter(path):
    import papermill

    from helpers.notebook import NOTEBOOK_PARAMETERS

    # papermill skips (with a warning) a line it cannot parse, e.g. one with a second "=" in its comment.
    assert list(papermill.inspect_notebook(str(path))) == list(NOTEBOOK_PARAMETERS[path.stem])


@pytest.mark.slow
@pytest.mark.parametrize("parameters, message", [
    ({"seed": 43}, "no parameter 'seed' (did you mean 'seeds'?)"),
    ({"seeds": 42}, "seeds must be a list of seeds, got the single number 42"),
    ({"strategies": "m"}, "strategies must be a list of names, got the string 'm'"),
])
def test_papermill_typos_and_wrong_types_stop_the_notebook_first(tmp_path, parameters, message):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as info:
        papermill.execute_notebook(str(NOTEBOOK_DIR / "experiment.ipynb"), str(tmp_path / "out.ipynb"),
                                   parameters={"pair": "digits_logreg", "results_dir": str(tmp_path / "results"),
                                               **parameters},
                                   kernel_name="python3", cwd=str(NOTEBOOK_DIR), progress_bar=False)
    assert info.value.ename == "ParameterError" and message in info.value.evalue
    assert not (tmp_path / "results").exists()  # stopped before any work
