"""Command line: ``python -m course list | assign | grade | collect | merge | release``."""

import argparse
import json
import os
import sys
import zipfile
from pathlib import Path

from .master import load_questions
from .masters import find_masters, repo_root


def format_listing(homework):
    """The ``list`` output: one line per homework with its questions and points.

    Questions graded by hand are marked ``manual``, and their points are also
    given apart from the total.

    >>> from course import Question
    >>> print(format_listing({"hw1": [Question("q1", 2), Question("q2", 3)],
    ...                       "hw2": [Question("q1", 2), Question("q1b", 1, manual=True)]}))
    hw1  5 points  q1 (2), q2 (3)
    hw2  3 points (1 manual)  q1 (2), q1b (1, manual)
    """
    lines = []
    for name, questions in homework.items():
        total = sum(q.points for q in questions)
        manual = sum(q.points for q in questions if q.manual)
        parts = ", ".join(
            f"{q.name} ({q.points:g}{', manual' if q.manual else ''})" for q in questions
        )
        extra = f" ({manual:g} manual)" if any(q.manual for q in questions) else ""
        lines.append(f"{name}  {total:g} points{extra}  {parts}")
    return "\n".join(lines)


def _size(text):
    """``--memory``'s type: bytes, or argparse's usage error naming the value."""
    from .grade import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(kind):
    """An argparse type: a number of ``kind`` above 0, or a usage error naming the value."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0 or value != value or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be a number above 0, got {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m course", description="Homework of the course, graded with otter-grader."
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="repository root holding homework/ (default: found automatically)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the homework and their questions with points")
    p = sub.add_parser("assign", help="regenerate student notebooks and autograder archives")
    p.add_argument("homework", nargs="*", help="which homework (default: all)")
    p.add_argument("--book-dir", type=Path, help="student notebooks (default: book/homework)")
    p.add_argument("--dist-dir", type=Path, help="autograder archives (default: dist)")
    p.add_argument(
        "--no-execute",
        action="store_true",
        help="do not execute the student notebooks (faster; no stored outputs)",
    )
    p.add_argument(
        "--no-run-tests",
        action="store_true",
        help="skip otter's check that the solutions pass every test (faster)",
    )
    p = sub.add_parser("grade", help="grade submitted notebooks into a CSV")
    p.add_argument("homework", help="e.g. hw1")
    p.add_argument("submissions", nargs="+", help="notebooks, or folders of notebooks")
    p.add_argument("--out", type=Path, required=True, metavar="CSV", help="the CSV to write")
    p.add_argument(
        "--timeout",
        type=_positive(float),
        default=60,
        metavar="SECONDS",
        help="seconds per submission (60)",
    )
    p.add_argument(
        "--jobs",
        type=_positive(int),
        default=1,
        metavar="N",
        help="submissions graded in parallel (1)",
    )
    p.add_argument(
        "--memory",
        default="2G",
        type=_size,
        metavar="SIZE",
        help="memory limit of each submission's process, e.g. 2G or 512M (2G)",
    )
    p.add_argument(
        "--autograder",
        type=Path,
        metavar="ZIP",
        help="autograder zip (default: dist/HW-autograder.zip from assign)",
    )
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="a path not found, a folder without notebooks or a notebook of another "
        "homework becomes a row with that status instead of an error",
    )
    p.add_argument(
        "--shard",
        metavar="K/N",
        help="grade only the K-th of N slices of the batch into OUT's -shards folder "
        "(K from 1; auto/N: K from the array index of Slurm, a Kubernetes "
        "Indexed Job or AWS Batch); then run collect",
    )
    p.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="where bubblewrap or user namespaces are missing, grade anyway, "
        "WITHOUT the sandbox (every row's status says so; docs/security.md)",
    )
    p = sub.add_parser("collect", help="merge the shards of `grade --shard` into the grades CSV")
    p.add_argument("homework", help="e.g. hw1")
    p.add_argument(
        "--out", type=Path, required=True, help="the CSV to write: the --out given to grade --shard"
    )
    p.add_argument(
        "--shards",
        type=Path,
        metavar="FOLDER",
        help="the folder of the shards (default: OUT's stem + -shards beside OUT)",
    )
    p = sub.add_parser("merge", help="add the scores of questions graded by hand to a grades CSV")
    p.add_argument("homework", help="e.g. hw1 (its master gives the manual questions' points)")
    p.add_argument("grades", type=Path, help="the CSV written by grade")
    p.add_argument(
        "scores", type=Path, help="your scores: grade's GRADES-manual/scores.csv, filled in"
    )
    p.add_argument("--out", type=Path, required=True, help="the final CSV to write")
    p = sub.add_parser(
        "release", help="write the student repository (no solutions, no hidden tests)"
    )
    p.add_argument("outdir", type=Path, help="the folder of the student repository")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace the contents of a non-empty folder that is not a previous release",
    )
    p.add_argument(
        "--private-repo",
        action="append",
        default=[],
        metavar="OWNER/NAME",
        help="a name of the instructors' repository that must appear nowhere "
        "(its git remotes are checked anyway); may be repeated",
    )
    return parser


def _fail(message):
    """Exit with ``message`` on stderr and status 1 (never a traceback)."""
    sys.exit(message)


def _check_out(out, command):
    """Exit with an error naming ``--out`` unless it can be a CSV file."""
    if out.suffix.lower() != ".csv" or out.is_dir():
        _fail(f"{command}: --out must name a CSV file, such as grades/hw1.csv; got {str(out)!r}")


def _print_written(report, out):
    """The lines that say what the files written beside ``out`` kept, removed and backed up."""
    from .batch import plural

    for path in report.get("backups", []):
        print(
            f"backed up {path.with_name(path.name.split('-backup-')[0] + path.suffix)} "
            f"(changed by hand) as {path}"
        )
    manual = report.get("manual")
    if manual and manual["existed"]:
        sheet = manual["written"][-1]
        print(
            f"{sheet}: kept the scores of {plural(manual['kept'], 'submission')}, "
            f"{plural(manual['new'], 'new submission')} with empty cells"
        )
        for what in manual["dropped"]:
            print(
                f"warning: the scores of {what} are not in the new {sheet}, only in its "
                f"backup {manual['sheet backup']}",
                file=sys.stderr,
            )
    removed = report.get("removed", [])
    if removed:
        print(
            f"{plural(len(removed), 'submission')} of the previous {out} "
            f"{'is' if len(removed) == 1 else 'are'} not in this batch, so not in the new "
            f"one: {', '.join(removed[:10])}" + (" ..." if len(removed) > 10 else ""),
            file=sys.stderr,
        )


def _grade(args, root, masters):
    from .batch import BatchError, plural, preflight
    from .grade import grade_batch
    from .sandbox import SandboxUnavailable
    from .shards import ShardError, parse_shard

    if args.homework not in masters:
        _fail(f"unknown homework {args.homework!r}; choose from {', '.join(masters)}")
    if not args.unsafe_no_sandbox:  # say so before anything else is checked
        from .sandbox import check

        try:
            check()
        except SandboxUnavailable as err:
            _fail(
                f"grade refused: {err}. Submissions are only graded in the sandbox; "
                "`--unsafe-no-sandbox` grades them without it"
            )
    autograder = args.autograder or root / "dist" / f"{args.homework}-autograder.zip"
    if not autograder.is_file():
        _fail(f"{autograder} not found: run `python -m course assign` first")
    if not zipfile.is_zipfile(autograder):
        _fail(f"{autograder} is not a zip archive: run `python -m course assign` again")
    _check_out(args.out, "grade")
    try:
        shard = parse_shard(args.shard) if args.shard else None
    except ShardError as err:
        _fail(f"grade: {err}")
    batch, files, statuses = preflight(args.homework, args.submissions, shard)
    if not batch:
        _fail("grade: no submissions given")
    if statuses and not args.keep_going:
        lines = [
            f"  {path}: {status.removeprefix('error: ')}"
            for path, status in sorted(statuses.items())
        ]
        _fail(
            f"grade: {plural(len(statuses), 'path')} cannot be graded as {args.homework}:\n"
            + "\n".join(lines)
            + "\nnothing was graded; fix the paths, or pass --keep-going "
            "to grade the others and give these a row with that status"
        )
    cells = json.loads(masters[args.homework].read_text(encoding="utf-8"))["cells"]
    try:
        report = grade_batch(
            args.homework,
            batch,
            autograder,
            args.out,
            master_cells=cells,
            timeout=args.timeout,
            jobs=args.jobs,
            limits={"memory": args.memory},
            statuses=statuses,
            shard=shard,
            unsafe_no_sandbox=args.unsafe_no_sandbox,
        )
    except SandboxUnavailable as err:
        _fail(f"grade refused: {err}")
    except (BatchError, ShardError, ValueError, OSError) as err:
        _fail(f"grade failed: {err}")
    rows = report["rows"]
    ok = sum(row["status"] == "ok" for row in rows)
    where = report["folder"] if shard else args.out
    print(
        f"graded {plural(len(rows), 'submission')} ({ok} ok, {len(rows) - ok} with a status)"
        + (f", shard {shard[0]} of {shard[1]}" if shard else "")
        + f" -> {where}"
    )
    if shard:
        print(
            f"when all {shard[1]} shards are done: python -m course collect {args.homework} "
            f"--out {args.out}"
        )
        return 0
    _print_written(report, args.out)
    _say_manual_step(args.homework, masters, args.out)
    return 0


def _say_manual_step(homework, masters, out):
    from .grade import manual_dir
    from .manual import points_text

    manual = [q for q in load_questions(masters[homework]) if q.manual]
    if manual:
        points = sum(q.points for q in manual)
        print(
            f"{homework} has {points_text(points)} to grade by hand "
            f"({', '.join(q.name for q in manual)}): read the answers in "
            f"{manual_dir(out)}/, enter the scores in "
            f"{manual_dir(out) / 'scores.csv'}, then run "
            f"`python -m course merge {homework} {out} "
            f"{manual_dir(out) / 'scores.csv'} --out final/{Path(out).name}`"
        )


def _collect(args, masters):
    from .batch import plural
    from .shards import ShardError, collect, shards_dir

    if args.homework not in masters:
        _fail(f"unknown homework {args.homework!r}; choose from {', '.join(masters)}")
    _check_out(args.out, "collect")
    folder = args.shards or shards_dir(args.out)
    try:
        report = collect(args.homework, folder, args.out)
    except (ShardError, OSError) as err:
        _fail(f"collect failed, nothing written:\n{err}")
    rows = report["rows"]
    ok = sum(row["status"] == "ok" for row in rows)
    print(
        f"collected {plural(len(rows), 'submission')} ({ok} ok, {len(rows) - ok} with a "
        f"status) from {folder} -> {args.out}"
    )
    _print_written(report, args.out)
    _say_manual_step(args.homework, masters, args.out)
    return 0


def _merge(args, masters):
    from .batch import plural
    from .manual import manual_questions, merge

    if args.homework not in masters:
        _fail(f"unknown homework {args.homework!r}; choose from {', '.join(masters)}")
    _check_out(args.out, "merge")
    cells = json.loads(masters[args.homework].read_text(encoding="utf-8"))["cells"]
    manual = manual_questions(cells)
    if not manual:
        _fail(f"{args.homework} has no questions graded by hand: its grades CSV is final")
    try:
        rows, saved = merge(args.grades, args.scores, manual, args.out)
    except ValueError as err:
        lines = str(err).splitlines()
        _fail(
            f"merge failed ({plural(len(lines), 'problem')}, nothing written):\n"
            + "\n".join(f"  {line}" for line in lines)
        )
    except OSError as err:
        _fail(f"merge failed: {err}")
    if saved:
        print(f"backed up {args.out} (changed by hand) as {saved}")
    print(
        f"merged the scores of {', '.join(q.name for q in manual)} for "
        f"{plural(len(rows), 'submission')} -> {args.out}"
    )
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    root = args.root or repo_root()
    masters = find_masters(root)
    if not masters:
        sys.exit(f"no homework masters found under {root / 'homework'}")

    if args.command == "list":
        print(format_listing({name: load_questions(path) for name, path in masters.items()}))

    elif args.command == "assign":
        from .assign import assign

        unknown = [name for name in args.homework if name not in masters]
        if unknown:
            sys.exit(f"unknown homework {unknown[0]!r}; choose from {', '.join(masters)}")
        chosen = {name: masters[name] for name in args.homework or masters}
        book_dir = args.book_dir or root / "book" / "homework"
        dist_dir = args.dist_dir or root / "dist"
        try:
            assign(
                chosen,
                book_dir,
                dist_dir,
                execute=not args.no_execute,
                run_tests=not args.no_run_tests,
                on_done=lambda name: print(f"{name}: generated", flush=True),
            )
        except Exception as err:  # noqa: BLE001 - any failure: report, change nothing
            sys.exit(f"{err}\nassign failed: nothing in {book_dir} or {dist_dir} was changed")
        for name in chosen:
            print(
                f"{name}: wrote {book_dir / (name + '.ipynb')} and "
                f"{dist_dir / (name + '-autograder.zip')}"
            )

    elif args.command == "release":
        from .release import ReleaseError, release

        try:
            files = release(root, args.outdir, force=args.force, private=args.private_repo)
        except ReleaseError as err:
            sys.exit(f"release failed: {err}")
        print(
            f"wrote the student repository {args.outdir}: {len(files)} files, "
            "no solution, hidden test or private repository name in any of them"
        )

    elif args.command == "merge":
        return _merge(args, masters)
    elif args.command == "collect":
        return _collect(args, masters)
    else:
        return _grade(args, root, masters)
    return 0


def run():
    """``main()`` as a command: a reader that stops reading (``... | head``) ends it
    quietly, without a traceback (what was written to files is complete)."""
    try:
        return main()
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it at /dev/null first
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(run())
