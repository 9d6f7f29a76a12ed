"""The bulk import pipeline: uploaded files loaded in the background, matched, merged, reported."""
