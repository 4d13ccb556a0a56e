"""The Receiver tab: `tab` (its widgets) over `model` (no Tk: receive, the header), with its Follow toggle
(`follow` over `follow_model`), its key list of shares (`key_list` over `key_list_model`) and its compare panel."""
