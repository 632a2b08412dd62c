"""Sign-in with OpenID Connect (authorization-code flow, Authlib's Flask client).

The ID token's signature (the IdP's JWKS), issuer (access.oidc.issuer), audience (client_id)
and nonce are checked; the user name then lives in Flask's signed session cookie.
"""

import logging
import time
from urllib.parse import urlencode

from authlib.integrations.flask_client import OAuth
from flask import Flask, Request, Response, redirect, request, session, url_for

from socwall.dashboard.config_access import AccessConfig
from socwall.dashboard.pages import plain_page, refused

log = logging.getLogger(__name__)
LOGIN, CALLBACK, LOGOUT = "/oidc/login", "/oidc/callback", "/oidc/logout"
SIGNED_OUT = "/oidc/signed-out"  # where the IdP sends the browser after its own sign-out
SIGN_IN_FAILED = (
    "Sign-in failed: the identity provider's answer was not accepted. "
    "Try again, or ask the wall's administrator."
)


class OidcSignIn:
    """Registers /oidc/login, /oidc/callback and /oidc/logout; identifies by the session."""

    public_paths = frozenset({LOGIN, CALLBACK, LOGOUT, SIGNED_OUT})

    def __init__(self, server: Flask, access: AccessConfig, on_refused=lambda: None):
        oidc = access.oidc
        self.on_refused = on_refused  # counts the refusal (socwall_auth_failures_total)
        self.issuer, self.lifetime = oidc.issuer, oidc.session_lifetime.total_seconds()
        self.redirect_uri = oidc.redirect_uri
        server.secret_key = oidc.session_secret.get_secret_value()
        server.config.update(
            SESSION_COOKIE_NAME="socwall_session",
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",  # the IdP's redirect back is a cross-site navigation
            SESSION_COOKIE_SECURE=access.secure_cookies,
        )
        self.client = OAuth(server).register(
            "idp",
            client_id=oidc.client_id,
            client_secret=oidc.client_secret.get_secret_value(),
            server_metadata_url=oidc.issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": " ".join(oidc.scopes)},
        )
        server.add_url_rule(LOGIN, "oidc_login", self.login)
        server.add_url_rule(CALLBACK, "oidc_callback", self.callback)
        server.add_url_rule(LOGOUT, "oidc_logout", self.logout)
        server.add_url_rule(SIGNED_OUT, "oidc_signed_out", self.signed_out)

    def identify(self, req: Request) -> str | None:
        user, since = session.get("user"), session.get("signed_in_at", 0)
        return user if user and time.time() - since < self.lifetime else None

    def challenge(self, req: Request) -> Response:
        wants_page = req.method == "GET" and "text/html" in req.headers.get("Accept", "")
        if wants_page and not req.path.startswith("/_dash-"):
            return redirect(f"{LOGIN}?{urlencode({'next': req.full_path.rstrip('?')})}")
        return refused(401, "Sign-in required: open the wall's page to sign in.")

    def login(self) -> Response:
        session["next"] = _local_path(request.args.get("next"))
        return self.client.authorize_redirect(
            self.redirect_uri or url_for("oidc_callback", _external=True)
        )

    def callback(self) -> Response:
        try:
            user = self._user_from_code()
        except Exception as error:  # every failure of the dance is a refusal, never a 500
            log.warning("OIDC sign-in refused: %s: %s", type(error).__name__, error)
            self.on_refused()
            return refused(401, SIGN_IN_FAILED)
        target = session.get("next") or "/"
        session.clear()
        session.update(user=user, signed_in_at=time.time())
        log.info("OIDC sign-in of %s", user)
        return redirect(target)

    def logout(self) -> Response:
        """Forget the session here, then end the IdP's session too when its discovery names an
        end_session_endpoint (RP-initiated logout); the IdP sends the browser back to the wall."""
        user = session.get("user")
        session.clear()
        log.info("OIDC sign-out of %s", user)
        try:
            end_session = self.client.load_server_metadata().get("end_session_endpoint")
        except Exception as error:  # the IdP is down: the wall's own session is gone anyway
            log.warning("OIDC sign-out: no discovery: %s: %s", type(error).__name__, error)
            end_session = None
        if end_session:
            back_to = url_for("oidc_signed_out", _external=True)
            back = {"client_id": self.client.client_id, "post_logout_redirect_uri": back_to}
            return redirect(f"{end_session}?{urlencode(back)}")
        return self.signed_out()

    def signed_out(self) -> Response:
        return plain_page(200, "Signed out", "You are signed out of the wall.",
                          link=("Sign in again", LOGIN))  # fmt: skip

    def _user_from_code(self) -> str:
        metadata = self.client.load_server_metadata()
        if metadata.get("issuer", "").rstrip("/") != self.issuer.rstrip("/"):
            raise ValueError(f"discovery names issuer {metadata.get('issuer')!r}")
        essential = {"essential": True}
        token = self.client.authorize_access_token(
            claims_options={"iss": {**essential, "values": [metadata["issuer"]]},
                            "sub": essential, "exp": essential}  # fmt: skip
        )
        claims = token.get("userinfo")
        if not claims:
            raise ValueError("the token answer holds no id_token")
        return claims.get("preferred_username") or claims.get("email") or claims["sub"]


def _local_path(target: str | None) -> str:
    """Only a path on this server: never an open redirect to somewhere else."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
