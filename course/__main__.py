"""Command line: ``python -m course list | assign | grade | merge | release``."""

import argparse
import json
import sys
from pathlib import Path

from .masters import find_masters, load_questions, repo_root


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
        parts = ", ".join(f"{q.name} ({q.points:g}{', manual' if q.manual else ''})"
                          for q in questions)
        extra = f" ({manual:g} manual)" if any(q.manual for q in questions) else ""
        lines.append(f"{name}  {total:g} points{extra}  {parts}")
    return "\n".join(lines)


def expand(paths):
    """Submission files: files as given, folders replaced by the notebooks inside them."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():  # not Jupyter's autosaved copies in .ipynb_checkpoints/
            files.extend(sorted(f for f in path.rglob("*.ipynb")
                                if ".ipynb_checkpoints" not in f.relative_to(path).parts))
        else:
            files.append(path)
    return [str(f) for f in files]


def _size(text):
    """``--memory``'s type: bytes, or argparse's usage error naming the value."""
    from .grade import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m course",
                                     description="Homework of the course, graded with otter-grader.")
    parser.add_argument("--root", type=Path, default=None,
                        help="repository root holding homework/ (default: found automatically)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the homework and their questions with points")
    p = sub.add_parser("assign", help="regenerate student notebooks and autograder archives")
    p.add_argument("homework", nargs="*", help="which homework (default: all)")
    p.add_argument("--book-dir", type=Path, help="student notebooks (default: book/homework)")
    p.add_argument("--dist-dir", type=Path, help="autograder archives (default: dist)")
    p.add_argument("--no-execute", action="store_true",
                   help="do not execute the student notebooks (faster; no stored outputs)")
    p.add_argument("--no-run-tests", action="store_true",
                   help="skip otter's check that the solutions pass every test (faster)")
    p = sub.add_parser("grade", help="grade submitted notebooks into a CSV")
    p.add_argument("homework", help="e.g. hw1")
    p.add_argument("submissions", nargs="+", help="notebooks, or folders of notebooks")
    p.add_argument("--out", type=Path, required=True, help="the CSV to write")
    p.add_argument("--timeout", type=float, default=60, help="seconds per submission (60)")
    p.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel (1)")
    p.add_argument("--memory", default="2G", type=_size,
                   help="memory limit of each submission's process, e.g. 2G or 512M (2G)")
    p.add_argument("--autograder", type=Path,
                   help="autograder zip (default: dist/HW-autograder.zip from assign)")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="where bubblewrap or user namespaces are missing, grade anyway, "
                        "WITHOUT the sandbox (every row's status says so; docs/security.md)")
    p = sub.add_parser("merge", help="add the scores of questions graded by hand to a grades CSV")
    p.add_argument("homework", help="e.g. hw1 (its master gives the manual questions' points)")
    p.add_argument("grades", type=Path, help="the CSV written by grade")
    p.add_argument("scores", type=Path,
                   help="your scores: grade's GRADES-manual/scores.csv, filled in")
    p.add_argument("--out", type=Path, required=True, help="the final CSV to write")
    p = sub.add_parser("release", help="write the student repository (no solutions, no hidden tests)")
    p.add_argument("outdir", type=Path, help="the folder of the student repository")
    p.add_argument("--force", action="store_true",
                   help="replace the contents of a non-empty folder that is not a previous release")
    p.add_argument("--private-repo", action="append", default=[], metavar="OWNER/NAME",
                   help="a name of the instructors' repository that must appear nowhere "
                        "(its git remotes are checked anyway); may be repeated")
    return parser


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
            assign(chosen, book_dir, dist_dir, execute=not args.no_execute,
                   run_tests=not args.no_run_tests,
                   on_done=lambda name: print(f"{name}: generated", flush=True))
        except Exception as err:  # noqa: BLE001 - any failure: report, change nothing
            sys.exit(f"{err}\nassign failed: nothing in {book_dir} or {dist_dir} was changed")
        for name in chosen:
            print(f"{name}: wrote {book_dir / (name + '.ipynb')} and "
                  f"{dist_dir / (name + '-autograder.zip')}")

    elif args.command == "release":
        from .release import ReleaseError, release

        try:
            files = release(root, args.outdir, force=args.force, private=args.private_repo)
        except ReleaseError as err:
            sys.exit(f"release failed: {err}")
        print(f"wrote the student repository {args.outdir}: {len(files)} files, "
              "no solution, hidden test or private repository name in any of them")

    elif args.command == "merge":
        from .manual import manual_questions, merge

        if args.homework not in masters:
            sys.exit(f"unknown homework {args.homework!r}; choose from {', '.join(masters)}")
        cells = json.loads(masters[args.homework].read_text(encoding="utf-8"))["cells"]
        manual = manual_questions(cells)
        if not manual:
            sys.exit(f"{args.homework} has no questions graded by hand: its grades CSV is final")
        try:
            rows = merge(args.grades, args.scores, manual, args.out)
        except ValueError as err:
            sys.exit(f"merge failed: {err}")
        print(f"merged the scores of {', '.join(q.name for q in manual)} for {len(rows)} "
              f"submissions -> {args.out}")

    else:
        from .grade import grade_batch, manual_dir
        from .sandbox import SandboxUnavailable

        if args.homework not in masters:
            sys.exit(f"unknown homework {args.homework!r}; choose from {', '.join(masters)}")
        autograder = args.autograder or root / "dist" / f"{args.homework}-autograder.zip"
        if not autograder.is_file():
            sys.exit(f"{autograder} not found: run `python -m course assign` first")
        cells = json.loads(masters[args.homework].read_text(encoding="utf-8"))["cells"]
        try:
            rows = grade_batch(args.homework, expand(args.submissions), autograder, args.out,
                               master_cells=cells, timeout=args.timeout, jobs=args.jobs,
                               limits={"memory": args.memory},
                               unsafe_no_sandbox=args.unsafe_no_sandbox)
        except SandboxUnavailable as err:
            sys.exit(f"grade refused: {err}")
        ok = sum(row["status"] == "ok" for row in rows)
        print(f"graded {len(rows)} submissions ({ok} ok, {len(rows) - ok} with a status) "
              f"-> {args.out}")
        manual = [q for q in load_questions(masters[args.homework]) if q.manual]
        if manual:
            from .manual import points_text

            points = sum(q.points for q in manual)
            print(f"{args.homework} has {points_text(points)} to grade by hand "
                  f"({', '.join(q.name for q in manual)}): read the answers in "
                  f"{manual_dir(args.out)}/, enter the scores in "
                  f"{manual_dir(args.out) / 'scores.csv'}, then run "
                  f"`python -m course merge {args.homework} {args.out} "
                  f"{manual_dir(args.out) / 'scores.csv'} --out FINAL.csv`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
