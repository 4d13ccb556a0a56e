"""The window around the tabs: the App that builds and closes it, its menus, Help dialogs, title, icon and size."""
