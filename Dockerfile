FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH
RUN pip install --no-cache-dir 'uv>=0.5,<1'
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev
COPY . .
RUN SECRET_KEY=build python manage.py collectstatic --noinput
# Web, worker and beat run as an unprivileged user: nothing in the image is theirs to change
# (uploads live in PostgreSQL, beat's schedule in /tmp).
RUN useradd --system --no-create-home --uid 10001 contactsource
USER contactsource
EXPOSE 8000
CMD ["gunicorn", "contactsource.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4"]
