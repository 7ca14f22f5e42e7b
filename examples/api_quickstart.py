#!/usr/bin/env python3
"""Relais API quickstart: with a personal access token, create a person, publish a
content item, then read this month's leaderboard and an employee's stats. Standard library
only.

    export RELAIS_API_TOKEN=rls_...        # Settings → API tokens (an admin's token)
    python examples/api_quickstart.py --base-url https://relais.example.com \\
        --email new.joiner@example.com --name "New Joiner" \\
        --url https://www.example.com/blog/launch --title "We launched" \\
        --stats-user-id 42

The token is read from the environment (never from the command line, where other users of
the machine could see it in the process list, and never in a URL). Each POST carries an
Idempotency-Key, so running the script again after a network error does not create things
twice. Prints one JSON object with what was done; exits non-zero with the API's problem
details on an error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
import uuid


class ApiError(Exception):
    def __init__(self, status: int, problem: dict):
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}")
        self.status, self.problem = status, problem


class Relais:
    def __init__(self, base_url: str, token: str, timeout: float = 30.0):
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("the base URL must start with https:// (or http:// locally)")
        self.base = base_url.rstrip("/") + "/api/v1"
        self.token, self.timeout = token, timeout

    def call(self, method: str, path: str, body: dict | None = None, *,
             idempotency_key: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        # http(s) only: checked in __init__
        request = urllib.request.Request(self.base + path, data=data,  # noqa: S310
                                         method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:  # 4xx/5xx: an RFC 9457 problem
            raw = exc.read()
            try:
                problem = json.loads(raw)
            except ValueError:
                problem = {"title": exc.reason, "detail": raw.decode("utf-8", "replace")}
            raise ApiError(exc.code, problem) from None
        return json.loads(raw) if raw else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="e.g. https://relais.example.com")
    parser.add_argument("--email", required=True, help="the person to create")
    parser.add_argument("--name", default="")
    parser.add_argument("--employee-number", default=None)
    parser.add_argument("--no-invitation", action="store_true",
                        help="create the person without sending the invitation email yet")
    parser.add_argument("--url", required=True, help="the page to share")
    parser.add_argument("--title", required=True)
    parser.add_argument("--linkedin-text", default="")
    parser.add_argument("--stats-user-id", type=int, default=None,
                        help="whose stats to read (default: the person just created)")
    parser.add_argument("--period", default="30d",
                        help="the stats' period: 7d, 30d, 90d, month, last_month, quarter, "
                             "year")
    args = parser.parse_args(argv)
    token = os.environ.get("RELAIS_API_TOKEN", "")
    if not token:
        parser.error("set RELAIS_API_TOKEN to a personal access token")
    try:
        api = Relais(args.base_url, token)
    except ValueError as exc:
        parser.error(str(exc))
    run = uuid.uuid4().hex  # one key per step of this run: a retry of a step is harmless
    try:
        me = api.call("GET", "/me")
        person = {"email": args.email, "name": args.name,
                  "send_invitation": not args.no_invitation}
        if args.employee_number:
            person["employee_number"] = args.employee_number
        user = api.call("POST", "/users", person, idempotency_key=f"{run}-user")
        item = {"url": args.url, "title": args.title}
        if args.linkedin_text:
            item["texts"] = {"linkedin": args.linkedin_text}
        draft = api.call("POST", "/content", item, idempotency_key=f"{run}-item")
        published = api.call("POST", f"/content/{draft['id']}/transitions",
                             {"action": "publish"})
        # this month's company board by points: the top rows and your own rank
        board = api.call("GET", "/leaderboards?period=month&metric=points&per_page=10")
        stats_of = args.stats_user_id or user["id"]
        stats = api.call("GET", f"/users/{stats_of}/stats?period={args.period}")
    except ApiError as exc:
        print(json.dumps({"error": exc.status, "problem": exc.problem}, indent=2),
              file=sys.stderr)
        return 1
    except urllib.error.URLError as exc:
        print(f"cannot reach {args.base_url}: {exc.reason}", file=sys.stderr)
        return 2
    print(json.dumps({
        "as": me["user"]["email"],
        "user": {"id": user["id"], "email": user["email"], "status": user["status"]},
        "item": {"id": published["id"], "status": published["status"],
                 "published_at": published["published_at"]},
        "leaderboard": {"period_start": board["period_start"],
                        "top": [{"rank": row["rank"], "name": row["name"],
                                 "points": row["value"]} for row in board["items"]],
                        "you": board["you"]},
        "stats": {"user_id": stats["user_id"], "from": stats["from"], "to": stats["to"],
                  **{key: stats["totals"][key] for key in (
                      "shares", "reach", "human_clicks", "unique_clicks", "conversions",
                      "emv")},
                  "currency": stats["currency"], "points_balance": stats["points_balance"],
                  "level": stats["level"], "badges": stats["badges"]},
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
