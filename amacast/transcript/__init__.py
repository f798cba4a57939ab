"""A transcript's bytes → an ``Episode`` and its diagnostics, and the rules that check episodes.

The package knows nothing of settings, builds, feeds, the site or audio: it
imports only :mod:`amacast.model` (and its libraries).

- :mod:`~amacast.transcript.parse`: reading one file (:func:`parse_episode` and friends);
- :mod:`~amacast.transcript.markup`: safe HTML and text (nh3), bare addresses;
- :mod:`~amacast.transcript.validate`: the rules over finished episodes.

Nothing is imported here, so that importing one module (the rules, say)
does not load the Markdown parser.
"""
