"""The image view both tabs show images in: `view` (the canvas) with `input` (mouse and keys), drawn by
`render` off the Tk thread; no Tk in `display`, `geometry`, `zoom`, `pixel`, `render`, `actions_model`."""
