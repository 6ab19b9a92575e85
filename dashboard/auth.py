"""The login in front of every page, when `deliverability dashboard` says one is needed.

The CLI sets DELIVERABILITY_REQUIRE_LOGIN=1 when the dashboard listens beyond loopback or a
password is set; a password in the environment asks for the login on its own too (so a
plain `streamlit run` with one set is gated as well). The password comes from
DELIVERABILITY_DASHBOARD_PASSWORD, else `dashboard_password` in .streamlit/secrets.toml;
an `[auth]` section there offers Streamlit's OIDC login (st.login) as well.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Mapping

import streamlit as st

PASSWORD_ENV = "DELIVERABILITY_DASHBOARD_PASSWORD"
REQUIRE_LOGIN_ENV = "DELIVERABILITY_REQUIRE_LOGIN"
_PASSED = "_login_passed"
_FAILED = "_login_failed"
_FIELD = "login_password"
# A wrong guess costs this long, so guessing through the form is slow.
WRONG_PASSWORD_DELAY_S = 1.0


def login_required() -> bool:
    return os.environ.get(REQUIRE_LOGIN_ENV) == "1" or bool(os.environ.get(PASSWORD_ENV))


def _secrets() -> Mapping:
    # No secrets.toml (or one Streamlit could not parse, which it logs) configures nothing.
    return st.secrets if st.secrets.load_if_toml_exists() else {}


def expected_password() -> str | None:
    password = os.environ.get(PASSWORD_ENV) or _secrets().get("dashboard_password")
    return str(password) if password else None


def oidc_providers() -> list[str | None]:
    """The st.login providers [auth] configures: None for a single unnamed one."""
    auth = _secrets().get("auth")
    if not isinstance(auth, Mapping):
        return []
    named = [name for name, value in auth.items() if isinstance(value, Mapping)]
    return [None] if "client_id" in auth or not named else named


def password_matches(given: str, expected: str) -> bool:
    # Constant time, so how long a wrong guess takes says nothing about how close it was.
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _check_password() -> None:
    # A callback runs before the script: a right password shows the page on this very run,
    # and the field can still be emptied, so the typed text is not kept in the session.
    given = st.session_state.get(_FIELD) or ""
    st.session_state[_FIELD] = ""
    expected = expected_password()
    if expected is not None and password_matches(given, expected):
        st.session_state[_PASSED] = True
    else:
        time.sleep(WRONG_PASSWORD_DELAY_S)
        st.session_state[_FAILED] = True


def login_pending() -> bool:
    """True while this session still has to log in (the navigation stays hidden)."""
    if not login_required() or st.session_state.get(_PASSED):
        return False
    return not (oidc_providers() and st.user.get("is_logged_in"))


def require_login() -> None:
    """Stop the script here, showing only a login, until this session has logged in.

    Call it after st.navigation: the page a link asked for is then the page shown once
    the login succeeds (before it, every login rerun would fall back to the default page).
    """
    if not login_pending():
        return
    providers = oidc_providers()
    password = expected_password()
    st.title("Deliverability")
    if password is None and not providers:
        st.error(
            "A login is required, but none is configured: set "
            f"{PASSWORD_ENV} or configure [auth] in .streamlit/secrets.toml."
        )
        st.stop()
    if password is not None:
        with st.columns([1, 2])[0], st.form("login"):
            st.text_input("Password", type="password", key=_FIELD, autocomplete="current-password")
            st.form_submit_button("Log in", on_click=_check_password)
        if st.session_state.pop(_FAILED, False):
            st.error("Wrong password.")
    for provider in providers:
        label = "Log in" if provider is None else f"Log in with {provider}"
        if st.button(label, key=f"oidc_{provider or 'default'}"):
            st.login(provider)
    st.stop()
