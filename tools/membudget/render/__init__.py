"""Renderers: each turns one analysis result into text (text, JSON,
markdown, CSV, HTML, check verdicts, ld scripts); none reads a file."""
