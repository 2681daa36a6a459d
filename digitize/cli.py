"""The `digitize` command line: parses options, calls the library, maps errors to exit codes.

Exit codes: 0 all pages read; 1 some pages could not be read (see their error rows);
2 usage error; 3 an unusable model, dataset or output location; 130 interrupted.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Callable

import click

from . import __version__
from .errors import DigitizeError, ExitCode

EXIT_CODES_HELP = """\b
Exit codes:
  0    every page was read
  1    some pages could not be read (each has an error row)
  2    usage error (bad option or argument)
  3    unusable model, dataset or output location
  130  interrupted (Ctrl-C); rows written so far are kept
"""


def friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Show a DigitizeError as one line on stderr and exit with its code, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DigitizeError as exc:
            click.echo(f"digitize: error: {exc}", err=True)
            sys.exit(int(exc.exit_code))
        except KeyboardInterrupt:
            click.echo("digitize: interrupted", err=True)
            sys.exit(int(ExitCode.INTERRUPTED))

    return wrapper


@click.group(epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="digitize")
def main() -> None:
    """Read handwritten numbers off scanned pages and forms into CSV.

    \b
    Examples:
      digitize run scans/ -o results.csv
      digitize train --mnist mnist.npz --out models/
      digitize evaluate
    """


@main.command()
@click.option("--mnist", type=click.Path(dir_okay=False, path_type=Path), envvar="DIGITIZE_MNIST",
              help="MNIST .npz file. Default: $DIGITIZE_MNIST, the Keras cache, else a download.")
@click.option("--extra", type=click.Path(file_okay=False, path_type=Path),
              help="Also train on your labeled crops: a folder of DIR/<digit>/*.png.")
@click.option("--arch", type=click.Choice(["wide", "compact", "seed"]), default="wide", show_default=True,
              help="Architecture: 'wide' (the bundled model's), 'compact' (2-3x faster, a little less "
              "accurate) or 'seed', the original baseline.")
@click.option("--epochs", type=click.IntRange(min=1), default=30, show_default=True,
              help="Most epochs to train; early stopping may end sooner.")
@click.option("--batch-size", type=click.IntRange(min=1), default=128, show_default=True)
@click.option("--val-split", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.1,
              show_default=True, help="Share of the training set held out for validation.")
@click.option("--augment/--no-augment", default=True, show_default=True,
              help="Scan-like distortions of the training digits.")
@click.option("--reject/--no-reject", default=True, show_default=True,
              help="Learn an 11th 'not a digit' class from generated marks.")
@click.option("--reject-share", type=click.FloatRange(0, 1, min_open=True), default=0.12, show_default=True,
              help="Generated 'not a digit' examples per digit example, with --reject.")
@click.option("--patience", type=click.IntRange(min=0), default=6, show_default=True,
              help="Stop after this many epochs without a better validation accuracy (0: never).")
@click.option("--augment-share", type=click.FloatRange(0, 1), default=0.65, show_default=True,
              help="Share of each batch that is augmented; the rest stays clean MNIST.")
@click.option("--learning-rate", type=click.FloatRange(0, min_open=True), default=1e-3, show_default=True)
@click.option("--init", type=click.Path(dir_okay=False, path_type=Path),
              help="Start from this model's weights (fine-tune), e.g. the bundled model.")
@click.option("--average-with-init", is_flag=True,
              help="With --init: keep the mean of the fine-tuned and the starting weights, which "
              "keeps more of what the starting model read well.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option("--limit", type=click.IntRange(min=10), help="Use only the first N training images.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes that augment batches while the model trains (use the spare cores).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("models"),
              show_default=True, help="Folder for the model, its card and plots.")
@click.option("--name", default="digitize", show_default=True, help="File name stem of the outputs.")
@friendly_errors
def train(mnist: Path | None, extra: Path | None, arch: str, epochs: int, batch_size: int,
          val_split: float, augment: bool, reject: bool, reject_share: float, patience: int,
          augment_share: float, learning_rate: float, init: Path | None, average_with_init: bool, seed: int,
          limit: int | None, workers: int, out_dir: Path, name: str) -> None:
    """Train a digit model on MNIST and write NAME.keras, NAME.card.json and two plots.

    A validation split is held out of the training set; the epoch with the best validation
    accuracy is kept. The MNIST test set is scored once, at the end, for the card.

    \b
    Examples:
      digitize train --out models/
      digitize train --extra my_crops/ --out my_model/
      digitize train --init models/digitize.keras --extra my_crops/ --learning-rate 2e-4 \\
                     --epochs 5 --average-with-init --out my_model/
      digitize train --arch seed --no-augment --no-reject --epochs 10 --batch-size 60 \\
                     --val-split 0.3 --patience 0 --out baseline/ --name seed
    """
    from .train import TrainConfig, train as run_training

    config = TrainConfig(arch=arch, epochs=epochs, batch_size=batch_size, val_split=val_split,
                         augment=augment, augment_share=augment_share, reject_fraction=reject_share if reject else 0.0,
                         patience=patience, learning_rate=learning_rate, init=init,
                         average_with_init=average_with_init,
                         seed=seed, workers=workers, limit=limit, extra=extra, mnist=mnist, out_dir=out_dir, name=name,
                         verbose=1 if sys.stdout.isatty() else 2)
    result = run_training(config)
    card = result.card
    click.echo(f"model: {result.model_path} ({card['parameters']:,} parameters)")
    click.echo(f"validation accuracy {card['validation']['accuracy']:.4f}, "
               f"test accuracy {card['test']['accuracy']:.4f}")
    click.echo(f"card: {result.card_path}; plots: {', '.join(str(p) for p in result.plots)}")


@main.command()
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Model file. Default: $DIGITIZE_MODEL, else the bundled model.")
@click.option("--mnist", type=click.Path(dir_okay=False, path_type=Path), envvar="DIGITIZE_MNIST",
              help="MNIST .npz file whose test set is scored (default as for train).")
@click.option("--crops", type=click.Path(file_okay=False, path_type=Path),
              help="Score a labeled crop folder DIR/<digit>/*.png instead of MNIST.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write confusion.png, misread.png and evaluation.json here.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@friendly_errors
def evaluate(model_path: Path | None, mnist: Path | None, crops: Path | None, out_dir: Path | None,
             as_json: bool) -> None:
    """Score a model: accuracy, loss, per-class precision and recall, confusion matrix.

    \b
    Examples:
      digitize evaluate
      digitize evaluate --model my_model/digitize.keras --crops my_crops/ --out report/
      digitize evaluate --json > scores.json
    """
    import json

    from .data import load_crop_folder, load_mnist
    from .evaluate import evaluate as run_evaluation
    from .model import Classifier, default_model_path

    resolved = model_path or default_model_path()
    classifier = Classifier.load(resolved)
    if crops:
        images, labels = load_crop_folder(crops)
        dataset = str(crops)
    else:
        data = load_mnist(mnist)
        images, labels, dataset = data.x_test, data.y_test, f"MNIST test set ({data.path})"
    result = run_evaluation(classifier, images, labels, dataset, str(resolved), out_dir)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    click.echo(f"{dataset}: {result.count} digits, model {resolved}")
    click.echo(f"accuracy {result.accuracy:.4f} ({result.as_dict()['errors']} wrong), loss {result.loss:.4f}")
    click.echo("digit  precision  recall")
    for digit in range(10):
        click.echo(f"  {digit}    {result.precision[digit]:.4f}    {result.recall[digit]:.4f}")
    if out_dir:
        click.echo(f"plots: {out_dir / 'confusion.png'}, {out_dir / 'misread.png'}")


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), required=True,
              help="CSV file to write (one row per number); '-' writes to standard output.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Model file. Default: $DIGITIZE_MODEL, else the bundled model.")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.9, show_default=True,
              help="Numbers below this confidence get status 'review'.")
@click.option("--layout", "mode", type=click.Choice(["auto", "page", "field"]), default="auto",
              show_default=True,
              help="'field': each image is one number (a cut-out box, a cheque amount); 'page': "
                   "find boxes and lines; 'auto': images up to 1000 px, and strips under 600 px "
                   "high, are fields, unless their handwriting is small as on a page; larger "
                   "images are pages, unless they hold a few large numbers (a photo of one).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: CPU count).")
@click.option("--overlay", "overlay_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write each page with its numbers drawn on it as PNG into this folder.")
@click.option("--crops", "crops_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write every normalized 28x28 digit crop as PNG into this folder.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run: keep OUTPUT's rows, "
                                             "skip the files already in it.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@friendly_errors
def run(inputs: tuple[str, ...], output: Path, model_path: Path | None, min_confidence: float, mode: str,
        jobs: int | None, overlay_dir: Path | None, crops_dir: Path | None, resume: bool, quiet: bool) -> None:
    """Read the handwritten numbers in INPUTS (files or folders) into a CSV.

    Formats: PNG, JPEG, TIFF (every page), BMP, PDF (every page, at 300 dpi), and
    Netpbm, JPEG 2000, WebP, GIF. Folders are searched recursively. Every page gets at
    least one row: its numbers, an 'empty' row, or an 'error' row with the reason; a bad
    file never stops the run.

    \b
    Examples:
      digitize run samples/ -o results.csv
      digitize run scans/*.pdf -o out.csv --overlay checked/ --min-confidence 0.95
      digitize run cheques/ -o amounts.csv --layout field
      digitize run big_folder/ -o out.csv --resume
      digitize run form.png -o - -q | cut -d, -f4
    """
    import time

    from .batch import RunOptions, list_inputs, read_files
    from .model import Classifier, usable_cpus
    from .output import STDOUT, CsvWriter, files_done

    to_stdout = str(output) == STDOUT
    if resume and to_stdout:
        raise click.UsageError("--resume needs an output file to continue, not '-'")
    started = time.perf_counter()
    options = RunOptions(model=model_path, min_confidence=min_confidence, mode=mode,  # type: ignore[arg-type]
                         jobs=jobs or usable_cpus(), overlay_dir=overlay_dir, crops_dir=crops_dir)
    classifier = Classifier.load(model_path)  # a bad model fails now, before any output is touched
    files = list_inputs(list(inputs))
    done = files_done(output) if resume else set()
    todo = [item for item in files if item[0] not in done]
    show = not quiet and sys.stderr.isatty()
    counts = {"pages": 0, "numbers": 0, "review": 0, "empty": 0, "error": 0}
    finished = [0]
    with CsvWriter(output, append=resume) as writer:
        results = read_files(todo, options, classifier)
        def rate(_: object) -> str:
            return f"{finished[0] / max(time.perf_counter() - started, 1e-9):.1f} files/s"

        with click.progressbar(results, length=len(todo), label="reading", file=sys.stderr, show_pos=True,
                               show_eta=True, item_show_func=rate, hidden=not show) as bar:
            for result in bar:
                writer.write(result.rows)
                finished[0] += 1
                counts["pages"] += len({row.page for row in result.rows})
                for row in result.rows:
                    if row.status in counts:
                        counts[row.status] += 1
                    counts["numbers"] += bool(row.number)
    if not quiet:
        click.echo(f"{len(todo)} files, {counts['pages']} pages, {counts['numbers']} numbers ({counts['review']} to review), "
                   f"{counts['empty']} empty pages, {counts['error']} errors, "
                   f"{time.perf_counter() - started:.1f} s → {'standard output' if to_stdout else output}", err=True)
    if counts["error"]:
        sys.exit(int(ExitCode.PAGES_FAILED))
