"""`catalog` and `python -m app`: the command line, imported only when a command runs.

Processes that multiprocessing starts for a bulk import run the script that started their
parent again, as a module of their own, before the work they are given: were the whole command
line imported here, each would hold the API, the CLI and their libraries for nothing (some
60 MB each).
"""


def main() -> None:
    """Run the `catalog` command."""
    from app.cli import main as run  # here, not above: see the module docstring

    run()


if __name__ == "__main__":
    main()
