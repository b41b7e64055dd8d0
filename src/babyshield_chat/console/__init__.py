"""The console: one page for the people around a rollout, served by the service itself.

    bash scripts/serve        # then open http://127.0.0.1:8080/console

`GET /console` answers a static page (`static/index.html`) whose JavaScript
modules (`static/*.js`, no framework, no build step) talk to the same public
HTTP API as everyone else:

- the **playground** asks `POST /api/v1/chat/conversation` (and reads
  `GET /api/v1/chat/flags`) as a parent would, with the dev identity
  (`X-User-Id`, only where `BS_AUTH_MODE=dev`) or a pasted JWT, and shows the
  answer as the app does: summary first, coloured checks, evidence links, the
  emergency banner, suggested questions, the `trace_id` to copy, the
  synthesizer, any fallback reason and the latency;
- the **rollout** view reads `/api/v1/admin/flags/chat`, its `/audit` and
  `/api/v1/admin/rollout`, and acts through them (kill switch, set
  percentage, `/api/v1/admin/rollout/advance`, `/rollback`), each action
  behind a reason and a confirmation. The admin token is typed in by the
  user and kept in the tab's `sessionStorage`, never in a URL.

Nothing is fetched from another origin: a strict Content-Security-Policy
(`default-src 'none'`, scripts, styles, images and requests from the service
itself only) goes with every console response, so a third-party request is
refused by the browser even if someone adds one.
"""

from babyshield_chat.console.web import CONSOLE_PATH, add_routes

__all__ = ["CONSOLE_PATH", "add_routes"]
