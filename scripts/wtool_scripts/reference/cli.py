"""The command line of scripts/reference.py."""
import argparse

from ..common import REPO, code_stamp


def main(doc=None):
    ap = argparse.ArgumentParser(description=doc or __doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="{samples,full,stamp}")
    s = sub.add_parser("samples", help="small committed samples (default: samples/)")
    s.add_argument("--out", default=str(REPO / "samples"))
    f = sub.add_parser("full", help="big reference files (not committed)")
    f.add_argument("--out", required=True)
    f.add_argument("--force", action="store_true", help="regenerate even if STAMP matches")
    f.add_argument("--models", help="only these registered models (comma-separated) and the photos: a "
                                    "partial set for checking models one by one; no STAMP, features or tensor models")
    sub.add_parser("stamp", help="print the code stamp (what STAMP and test.sh's cache key hold)")
    w = sub.add_parser("_tfkeras")  # internal: the tf_keras child process
    w.add_argument("job")
    args = ap.parse_args()
    if args.cmd == "_tfkeras":
        from .tfkeras import tfkeras_main

        tfkeras_main(args.job)
    elif args.cmd == "samples":
        from .samples import cmd_samples

        cmd_samples(args)
    elif args.cmd == "full":
        from .full import cmd_full

        cmd_full(args)
    else:
        print(code_stamp())
