# Columns indexed twice: on their own and as the first column of a composite index that
# serves every query the single-column one did. Every insert wrote both. Only the
# single-column indexes go (contactsource.migrationops.indexes_dropped).

import django.db.models.deletion
from django.db import migrations, models

from contactsource.migrationops import indexes_dropped


class Migration(migrations.Migration):

    dependencies = [
        ('subscriptions', '0002_endpoint_secret_permission'),
    ]

    operations = [
        indexes_dropped(
            [
                migrations.AlterField(
                    model_name='callbackdelivery',
                    name='endpoint',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='subscriptions.callbackendpoint'),
                ),
                migrations.AlterField(
                    model_name='callbackdelivery',
                    name='event_id',
                    field=models.UUIDField(),
                ),
                migrations.AlterField(
                    model_name='subscription',
                    name='person',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='subscriptions', to='subscriptions.person'),
                ),
            ],
            [
                ('subscriptions_callbackdelivery', 'subscriptions_callbackdelivery_endpoint_id_255c6d6f', 'endpoint_id'),  # delivery_endpoint_status_idx
                ('subscriptions_callbackdelivery', 'subscriptions_callbackdelivery_event_id_3d917058', 'event_id'),  # delivery_event_endpoint_unique
                ('subscriptions_subscription', 'subscriptions_subscription_person_id_6bad8d2c', 'person_id'),  # subscription_unique
            ],
        ),
    ]
