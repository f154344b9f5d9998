"""Drop the single-column indexes of StockReport's three foreign keys (docs/performance.md, "Stock report
indexes"): nation is the first column of the unique (nation, item, as_of) constraint and of
stockreport_nation_asof_idx, item of the (item, as_of) index, and reported_by serves no read.

Only the indexes are dropped (the names are Django's, the same on every database): an AlterField would
also drop and re-add each foreign-key constraint, re-checking every row of a table of millions.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('coordination', '0004_date_window'),
        ('stockpiles', '0010_engine_failure'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.AlterField(
            model_name='stockreport',
            name='item',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='stock_reports', to='coordination.item'),
        ),
        migrations.AlterField(
            model_name='stockreport',
            name='nation',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='stock_reports', to='coordination.nation'),
        ),
        migrations.AlterField(
            model_name='stockreport',
            name='reported_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=state_operations,
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "stockpiles_stockreport" ("{column}")',
                )
                for name, column in (
                    ("stockpiles_stockreport_item_id_40b5dba9", "item_id"),
                    ("stockpiles_stockreport_nation_id_e19549d7", "nation_id"),
                    ("stockpiles_stockreport_reported_by_id_4a262053", "reported_by_id"),
                )
            ],
        ),
    ]
