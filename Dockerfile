# Production image: gunicorn serves the app, WhiteNoise the static files.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=ecm.settings.production

# The system packages the product needs (WeasyPrint's Pango, fonts): the list the Makefile
# uses too, in scripts/install-system-packages.
COPY scripts/install-system-packages /usr/local/sbin/
RUN install-system-packages run \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 ecm

WORKDIR /app
COPY pyproject.toml README.md ./
COPY ecm ecm
COPY referrals referrals
COPY formulation formulation
COPY reviews reviews
COPY supervision supervision
COPY monitoring monitoring
COPY api api
RUN pip install .
COPY manage.py ./
COPY templates templates
COPY static static
COPY locale locale
COPY scripts/i18n scripts/i18n
# collectstatic needs settings that import; these values exist only for this build step.
RUN SECRET_KEY=build ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput \
    && python scripts/i18n compile \
    && mkdir -p /app/var/private && chown -R ecm /app/var

USER ecm
EXPOSE 8000
CMD ["gunicorn", "ecm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
