"""Every command of the window in one table (`table`, no Tk), from which the menus, the key bindings,
the accelerators shown, Help > Keyboard shortcuts and the tests' expectations are all made; `keys`
binds a scope's shortcuts to the widgets that serve it."""
