"""PAL Sessions: page set-up, the sign-in gate, and navigation. Nothing else."""

import streamlit as st

from views import ui

# A Material icon, not the 🤝 emoji: an emoji icon makes Streamlit load its emoji catalog
# (~50 ms, compiling one huge pattern) in the first run of every server start.
st.set_page_config(page_title="PAL Sessions", page_icon=":material/handshake:", layout="wide")

person = ui.current_person()
if person is None:
    # Signed out, only the sign-in page exists: any deep link lands here.
    page = st.navigation([st.Page("views/sign_in.py", title="Sign in", icon=":material/login:", default=True)])
else:
    # The page objects are made once per browser session: building them (path checks,
    # icons) took a millisecond or two of every rerun of every page.
    nav = ui.memo("app:navigation")
    if "pages" not in nav:
        nav["pages"] = {
            "": [st.Page("views/home.py", title="Pairings", icon=":material/group:", default=True)],
            "Session": [
                st.Page("views/prepare.py", title="Prepare", icon=":material/edit_note:"),
                st.Page("views/get_ready.py", title="Get ready (PAL)", icon=":material/fact_check:"),
                st.Page("views/reflection.py", title="Reflection", icon=":material/self_improvement:"),
                st.Page("views/development.py", title="Development", icon=":material/trending_up:"),
                st.Page("views/planning.py", title="Planning", icon=":material/flag:"),
                st.Page("views/closing.py", title="Closing", icon=":material/done_all:"),
            ],
            "After": [
                st.Page("views/summary.py", title="Summary", icon=":material/summarize:"),
                st.Page("views/history.py", title="History", icon=":material/insights:"),
            ],
            "Setup": [
                st.Page("views/questions.py", title="Question bank", icon=":material/quiz:"),
                st.Page("views/settings.py", title="Settings", icon=":material/settings:"),
            ],
        }
    page = st.navigation(nav["pages"], position="hidden" if ui.share_mode() else "sidebar")
    with st.sidebar:
        st.caption(f"Signed in as **{ui.plain(person.display_name)}**")
        st.button("Sign out", key="auth:sign_out", on_click=ui.sign_out, icon=":material/logout:")
ui.emit_cookie_changes()
ui.apply_share_mode_style()
ui.flash()
page.run()
