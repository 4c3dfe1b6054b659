"""A curriculum's life in the app: publish from the editor (:mod:`.publish_dialog`), the published versions
(:mod:`.versions_dialog`), two curricula compared on the canvas (:mod:`.diff_window`), subjects moved to
another version (:mod:`.migrate_dialog`) and an edit replayed on real histories (:mod:`.replay_window`);
:mod:`.actions` puts them in the editor's menus. Nothing is imported here: the dialogs (and pyqtgraph)
load when first used, so the editor starts at once."""
