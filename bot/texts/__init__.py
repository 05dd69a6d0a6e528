"""The translation catalogues, one module per concern; :mod:`bot.i18n` merges them."""
