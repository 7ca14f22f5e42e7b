"""Email: SMTP when MAIL_SERVER is set, otherwise the console log (development).

Messages are never sent inside a transaction: they are queued in the outbox with the change
(``app.notifications.outbox``: ``enqueue_email``, or ``send_soon`` for the ones someone
waits for on screen) and delivered after the commit, with retries.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

log = logging.getLogger("relais.mail")


@dataclass
class Email:
    to: str
    subject: str
    text: str
    html: str | None = None
    #: extra header lines, e.g. List-Unsubscribe (RFC 2369/8058) on notification e-mails
    headers: dict[str, str] = field(default_factory=dict)


class Mailer:
    def __init__(self, *, server: str = "", port: int = 25, username: str = "", password: str = "",
                 use_tls: bool = False, use_ssl: bool = False, sender: str = "relais@localhost",
                 base_url: str = "http://127.0.0.1:5000", timeout: float = 20.0):
        self.server, self.port = server, port
        self.username, self.password = username, password
        self.use_tls, self.use_ssl = use_tls, use_ssl
        self.sender = sender
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_config(cls, config) -> "Mailer":
        return cls(server=config["MAIL_SERVER"], port=config["MAIL_PORT"],
                   username=config["MAIL_USERNAME"], password=config["MAIL_PASSWORD"],
                   use_tls=config["MAIL_USE_TLS"], use_ssl=config["MAIL_USE_SSL"],
                   sender=config["MAIL_FROM"], base_url=config["BASE_URL"])

    def url(self, path: str) -> str:
        return self.base_url + path

    def _message(self, email: Email) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = email.to
        msg["Subject"] = email.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="relais.local")
        for name, value in email.headers.items():
            msg[name] = value
        msg.set_content(email.text)
        if email.html:
            msg.add_alternative(email.html, subtype="html")
        return msg

    def send(self, emails: list[Email]) -> None:
        """Send a batch over one SMTP connection (or print it when no server is set)."""
        if not emails:
            return
        if not self.server:
            for email in emails:
                log.info("email to %s — %s\n%s", email.to, email.subject, email.text)
            return
        with self._connect() as smtp:
            for email in emails:
                smtp.send_message(self._message(email))

    def send_each(self, emails: list[Email]) -> list[Exception | None]:
        """Send a batch over one SMTP connection and say, per message, what happened (None:
        accepted by the server) instead of raising: the outbox marks each one (a refused
        recipient does not stop the others; a lost connection fails the rest)."""
        if not self.server:
            self.send(emails)
            return [None] * len(emails)
        results: list[Exception | None] = []
        try:
            with self._connect() as smtp:
                for email in emails:
                    try:
                        smtp.send_message(self._message(email))
                    except (smtplib.SMTPServerDisconnected, OSError) as exc:
                        results.append(exc)
                        break
                    except (smtplib.SMTPException, ValueError) as exc:  # this message only
                        results.append(exc)
                    else:
                        results.append(None)
        except (smtplib.SMTPException, OSError) as exc:  # connect, STARTTLS, login or QUIT
            if len(results) == len(emails):  # only QUIT failed: the messages were accepted
                return results
            results.extend([exc] * (len(emails) - len(results)))
            return results
        lost = results[-1] if results and len(results) < len(emails) else None
        return results + [lost] * (len(emails) - len(results))

    def _connect(self) -> smtplib.SMTP:
        if self.use_ssl:
            smtp = smtplib.SMTP_SSL(self.server, self.port, timeout=self.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.server, self.port, timeout=self.timeout)
        try:
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp


def render_email(template: str, to: str, language: str, subject_fn, **context) -> Email:
    """``template``.txt and .html rendered in ``language``; ``subject_fn`` is called in
    that language too (needs an app context: web requests, CLI and jobs all have one)."""
    from flask import render_template
    from flask_babel import force_locale

    with force_locale(language or "en"):
        subject = str(subject_fn())
        text = render_template(f"{template}.txt", **context)
        html = render_template(f"{template}.html", subject=subject, **context)
    return Email(to=to, subject=subject, text=text, html=html)


