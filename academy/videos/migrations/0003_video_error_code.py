from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('videos', '0002_task_cancelled'),
    ]

    operations = [
        migrations.AddField(model_name='video', name='error_code',
                            field=models.CharField(blank=True, default='', max_length=64)),
        migrations.AddField(model_name='video', name='error_params', field=models.JSONField(blank=True, default=dict)),
    ]
