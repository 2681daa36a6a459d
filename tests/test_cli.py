"""The command line: help, version, exit codes, one-line errors (Click's CliRunner)."""
from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from digitize import __version__
from digitize.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_help_lists_commands_and_exit_codes():
    result = invoke("--help")
    assert result.exit_code == 0
    for word in ("run", "train", "evaluate", "Exit codes", "130"):
        assert word in result.output


def test_every_command_has_an_example():
    for command in ("run", "train", "evaluate"):
        result = invoke(command, "--help")
        assert result.exit_code == 0 and "Examples:" in result.output and f"digitize {command}" in result.output


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_help_does_not_import_tensorflow():
    code = "import sys; from digitize.cli import main; sys.argv=['digitize','--help']\n" \
           "try: main()\nexcept SystemExit: pass\nassert 'tensorflow' not in sys.modules, 'tensorflow imported'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_importing_tensorflow_prints_nothing():
    """`digitize train` and `evaluate` import TensorFlow; its native start-up lines ("oneDNN
    custom operations are on", written before its log level is read) are silenced."""
    done = subprocess.run([sys.executable, "-c", "from digitize.model import import_keras; import_keras()"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done.stderr


def test_bad_option_value_is_usage_error(tmp_path):
    result = invoke("run", str(tmp_path), "-o", str(tmp_path / "o.csv"), "--min-confidence", "2")
    assert result.exit_code == 2 and "min-confidence" in result.output


def test_missing_model_is_one_clear_line(tmp_path):
    result = invoke("run", str(tmp_path), "-o", str(tmp_path / "o.csv"), "--model", str(tmp_path / "none.keras"))
    assert result.exit_code == 3
    assert result.output.strip() == f"digitize: error: model file not found: {tmp_path / 'none.keras'}"


def test_corrupt_model_is_one_clear_line(tmp_path):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"PK\x03\x04 this is not a model")
    result = invoke("evaluate", "--model", str(broken), "--crops", str(tmp_path))
    assert result.exit_code == 3
    assert "damaged or not a Keras model" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bad_dataset_file_for_train(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("not an archive")
    result = invoke("train", "--mnist", str(bad), "--out", str(tmp_path / "m"))
    assert result.exit_code == 3 and "not a readable .npz" in result.output


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a file where a folder should be: fails even for root
    result = invoke("train", "--mnist", str(tmp_path / "x.npz"), "--out", str(blocker / "sub"))
    assert result.exit_code == 3 and "cannot write to output folder" in result.output


def test_unwritable_csv(tmp_path, model_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = invoke("run", str(tmp_path), "-o", str(blocker / "out.csv"), "--model", str(model_path))
    assert result.exit_code == 3 and "cannot write results" in result.output
