"""The gettext catalogues (<lang>/LC_MESSAGES/*.po), a package only so that the wheel ships
them next to bot/, where bot/i18n.py reads them."""
