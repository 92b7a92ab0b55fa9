import sys

from polyseq.cli import main

sys.exit(main())
