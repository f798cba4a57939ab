"""A transcript's bytes → an ``Episode`` and its diagnostics, and the rules that check episodes.

The package knows nothing of settings, builds, feeds, the site or audio: it
imports only :mod:`amacast.model` (and its libraries).  Its modules, in the
order a file is read:

- :mod:`~amacast.transcript.parse`: the entry points (:func:`parse_episode`
  and friends) and the file read top to bottom;
- :mod:`~amacast.transcript.report`: the diagnostics of one file, brief quotes of user values;
- :mod:`~amacast.transcript.decode`: bytes to text (UTF-8, a BOM, UTF-16, other encodings);
- :mod:`~amacast.transcript.front_matter`: the YAML front matter, its keys' lines, date, slug;
- :mod:`~amacast.transcript.text_checks`: mojibake, labels with invisible characters;
- :mod:`~amacast.transcript.blocks`: the Markdown body as top-level blocks (pyromark);
- :mod:`~amacast.transcript.legend`: the ``**Legend:**`` and the speakers it declares;
- :mod:`~amacast.transcript.turns`: the body split into preamble, turns and epilogue;
- :mod:`~amacast.markup`: safe HTML and text (nh3), bare web addresses;
- :mod:`~amacast.transcript.validate`: the rules over finished episodes, one and all.

Nothing is imported here, so that importing one module (the rules, say)
does not load the Markdown parser.
"""
