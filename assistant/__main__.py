from policyqa.assistant.cli import main

raise SystemExit(main())
