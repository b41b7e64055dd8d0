from babyshield_chat.cli import main
import sys
sys.exit(main())
