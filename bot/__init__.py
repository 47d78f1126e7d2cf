"""Runtime wiring: settings, Bot/Dispatcher factory, middlewares, errors, i18n, servers."""
