"""Sign in or create an account (or go through the identity provider when configured)."""

import streamlit as st

from pal_core import auth
from views import ui

st.title("PAL Sessions")
st.write(
    "Structured 30-minute mentoring sessions between a mentee and their PAL: prepare, "
    "reflect, develop, plan — and keep track of what you agreed."
)

if ui.oidc_configured():
    st.button("Sign in with your organisation account", type="primary", on_click=st.login)
    st.stop()


def _sign_in() -> None:
    try:
        person = auth.sign_in(
            ui.store(), st.session_state["signin:email"], st.session_state["signin:password"], ui.client_key()
        )
    except auth.AuthError as error:
        st.session_state["ui:flash_error"] = str(error)
        return
    ui.remember_sign_in(person)


def _sign_up() -> None:
    if st.session_state["signup:password"] != st.session_state["signup:password2"]:
        st.session_state["ui:flash_error"] = "The two passwords differ: type the same password twice."
        return
    try:
        person = auth.sign_up(
            ui.store(), st.session_state["signup:email"], st.session_state["signup:name"],
            st.session_state["signup:password"],
        )
    except auth.AuthError as error:
        st.session_state["ui:flash_error"] = str(error)
        return
    ui.remember_sign_in(person)


sign_in_tab, sign_up_tab = st.tabs(["Sign in", "Create an account"])
with sign_in_tab:
    with st.form("signin"):
        st.text_input("E-mail", key="signin:email", autocomplete="email")
        st.text_input("Password", key="signin:password", type="password", autocomplete="current-password")
        st.form_submit_button("Sign in", type="primary", on_click=_sign_in)
with sign_up_tab:
    with st.form("signup"):
        st.text_input("Your name", key="signup:name", max_chars=auth.NAME_LIMIT, autocomplete="name")
        st.text_input("E-mail", key="signup:email", autocomplete="email")
        st.text_input(
            "Password", key="signup:password", type="password", autocomplete="new-password",
            help=f"At least {auth.PASSWORD_MIN} characters; a short phrase of a few words works well.",
        )
        st.text_input("Password again", key="signup:password2", type="password", autocomplete="new-password")
        st.form_submit_button("Create account", type="primary", on_click=_sign_up)
