"""The bundled demo: a three-page sign-up form served on 127.0.0.1, and the data to fill it."""
