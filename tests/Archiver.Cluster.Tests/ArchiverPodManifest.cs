namespace Archiver.Cluster.Tests;

/// <summary>
/// One archiver pod as deploy/statefulset/statefulset.yaml runs it, without the PostgreSQL journal (a single node
/// keeps its own): binding every interface, which the stand-in makes the pod's address (docs/emulators.md), its
/// token from a secret, /readyz as readiness; with the webhook, its port and cert-manager's certificate mounted.
/// </summary>
internal static class ArchiverPodManifest
{
    /// <param name="backups">
    /// A folder of this machine mounted at <c>/backups</c>, for a <c>local</c> BackupStorage with that mountPath: the
    /// node writes the full backups where the sidecars write the oplog (docs/cluster.md).
    /// </param>
    public static string Node(bool webhook, string? backups = null) => Template
        .Replace("WEBHOOK_ARGS", webhook ? ", --webhook-port=9443, --webhook-cert-dir=/var/run/archiver/webhook" : "", StringComparison.Ordinal)
        .Replace("WEBHOOK_PORT", webhook ? ", {name: webhook, containerPort: 9443}" : "", StringComparison.Ordinal)
        .Replace("WEBHOOK_MOUNT", (webhook ? "\n            - {name: webhook-tls, mountPath: /var/run/archiver/webhook, readOnly: true}" : "")
            + (backups is null ? "" : "\n            - {name: backups, mountPath: /backups}"), StringComparison.Ordinal)
        .Replace("WEBHOOK_VOLUME", (webhook ? "\n        - {name: webhook-tls, secret: {secretName: archiver-webhook-tls}}" : "")
            + (backups is null ? "" : $"\n        - {{name: backups, hostPath: {{path: \"{backups}\"}}}}"), StringComparison.Ordinal);

    private const string Template = """
        apiVersion: v1
        kind: Secret
        metadata: {name: archiver-token, namespace: archiver}
        stringData: {token: a-test-token}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: archiver, namespace: archiver}
        spec:
          clusterIP: None
          publishNotReadyAddresses: true
          selector: {app.kubernetes.io/name: archiver}
          ports: [{name: http, port: 7780}]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: archiver, namespace: archiver}
        spec:
          serviceName: archiver
          replicas: 1
          updateStrategy: {type: RollingUpdate}
          selector: {matchLabels: {app.kubernetes.io/name: archiver}}
          template:
            metadata: {labels: {app.kubernetes.io/name: archiver}}
            spec:
              serviceAccountName: archiver
              terminationGracePeriodSeconds: 3
              containers:
                - name: archiver
                  image: ghcr.io/kubedb/archiver:latest
                  args: [run, --in-cluster, --data=/var/lib/archiver, --host=0.0.0.0, --advertise-host=$(POD_IP), --port=4053, --http-host=0.0.0.0, --http-port=7780WEBHOOK_ARGS]
                  env:
                    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
                    - {name: ARCHIVER_TOKEN, valueFrom: {secretKeyRef: {name: archiver-token, key: token}}}
                  ports: [{name: http, containerPort: 7780}WEBHOOK_PORT]
                  readinessProbe:
                    httpGet: {path: /readyz, port: http}
                    periodSeconds: 1
                  volumeMounts:
                    - {name: data, mountPath: /var/lib/archiver}WEBHOOK_MOUNT
              volumes:
                - {name: data, emptyDir: {}}WEBHOOK_VOLUME
        """;
}
