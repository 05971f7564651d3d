"""``python -m sturgeon``: the same as the ``sturgeon`` command."""

from sturgeon.cli import main

main()
