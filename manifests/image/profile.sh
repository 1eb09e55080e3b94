# /etc/profile.d/terrarium.sh: login shells (ssh, tmux) find what agents installed into the workspace.
# Debian's /etc/profile resets PATH, so the image's ENV alone does not reach them.
export NPM_CONFIG_PREFIX=/workspace/.npm-global
export PYTHONUSERBASE=/workspace/.local
case ":$PATH:" in
  *:/workspace/.npm-global/bin:*) ;;
  *) PATH="/workspace/.npm-global/bin:/workspace/.local/bin:$PATH" ;;
esac
export PATH
