# The virtualenv with Helm v4's SDK (PyPI helm-python-sdk) and PyYAML, created once: sets
# `venv` (HELM_CHECK_VENV, default ~/.cache/kubeferry-helm-venv). Sourced by the Helm checks.
venv="${HELM_CHECK_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/kubeferry-helm-venv}"
if ! "$venv/bin/python" -c 'import helm_python, yaml' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    helm-python-sdk==0.2.2 pyyaml
fi
