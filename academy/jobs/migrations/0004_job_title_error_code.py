from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0003_task_cancelled'),
    ]

    operations = [
        migrations.AddField(model_name='job', name='error_code',
                            field=models.CharField(blank=True, default='', max_length=64)),
        migrations.AddField(model_name='job', name='error_params', field=models.JSONField(blank=True, default=dict)),
        migrations.AddField(model_name='job', name='title',
                            field=models.CharField(blank=True, default='', max_length=200)),
        migrations.AddField(model_name='job', name='title_params', field=models.JSONField(blank=True, default=dict)),
    ]
