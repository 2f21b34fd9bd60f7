"""Start the chat UI from a checkout: `python app.py [--host HOST] [--port PORT]`.

The wiring lives in assistant/serve.py (installed as the `policy-assistant-ui` console script).
"""

from policyqa.assistant.serve import main

if __name__ == "__main__":
    raise SystemExit(main())
