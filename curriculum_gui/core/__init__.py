"""Pure Python engine: model, edits, rules, trainer, validation and file formats. No Qt, no database."""
