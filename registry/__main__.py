"""``python -m registry`` runs the ``monosashi`` command line."""

from registry.cli import main

if __name__ == "__main__":
    main()
