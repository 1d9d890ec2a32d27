"""The web UI (Gradio): `build_ui(assistant)` and `mount(app, assistant)`. The only package that imports gradio."""
