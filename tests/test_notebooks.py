"""The committed notebooks: jupytext pairs in sync, no outputs, papermill parameters."""

from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def _cells(notebook):
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_the_three_notebooks_exist():
    assert {p.stem for p in NOTEBOOKS} == {"mnist_logreg", "cifar10_cnn", "figures"}


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
