import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
// The checker's own key layout, so the grants and lifecycle rules cover exactly the prefixes it writes.
import { REPORTS_ROOT, STATE_ROOT } from '../../lambda/store/layout';

export interface ReportArchiveProps {
  /**
   * Object Lock COMPLIANCE default retention: no one, the account root included, can delete or overwrite an object
   * version for this long.
   */
  readonly retentionDays: number;

  /**
   * Days after which reports move to `transitionStorageClass`.
   *
   * @default 90
   */
  readonly transitionAfterDays?: number;

  /**
   * The cheaper storage class reports move to.
   *
   * @default s3.StorageClass.INFREQUENT_ACCESS
   */
  readonly transitionStorageClass?: s3.StorageClass;

  /**
   * Days the server access logs are kept.
   *
   * @default the longer of `retentionDays` and 365, so the access history covers every locked report
   */
  readonly accessLogRetentionDays?: number;
}

/**
 * The auditors' archive: every run's reports in an S3 bucket with Object Lock in COMPLIANCE mode, versioning,
 * a customer-managed KMS key, no public access, TLS only, server access logs in a separate bucket, and retained when
 * the stack is deleted. The bucket policy refuses any write under `reports/` that is not a create-if-absent, so no
 * stored report, manifest or chain place can get a newer version (see the README's "Security" section).
 *
 * Grants are write-once by intent: {@link grantWriteReports} lets a principal add and read objects and also denies
 * it every way of removing or unlocking them.
 */
export class ReportArchive extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly accessLogsBucket: s3.Bucket;
  private readonly retentionDays: number;

  constructor(scope: Construct, id: string, props: ReportArchiveProps) {
    super(scope, id);
    this.retentionDays = props.retentionDays;
    const transitionAfterDays = props.transitionAfterDays ?? 90;
    const accessLogRetentionDays = props.accessLogRetentionDays ?? Math.max(props.retentionDays, 365);

    this.key = new kms.Key(this, 'Key', {
      description: 'qlik-access-guard report archive',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging can only deliver to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(accessLogRetentionDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Reports', {
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(props.retentionDays)),
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'reports-bucket/',
      lifecycleRules: [
        {
          id: 'reports-to-cheaper-storage',
          prefix: REPORTS_ROOT,
          transitions: [
            {
              storageClass: props.transitionStorageClass ?? s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(transitionAfterDays),
            },
          ],
        },
        {
          // state.json is overwritten every run; its older versions stay locked for the retention period and are
          // cleaned up right after, so the bucket does not grow by one version per tenant per run forever.
          id: 'expire-old-state-versions',
          prefix: STATE_ROOT,
          noncurrentVersionExpiration: Duration.days(props.retentionDays + 1),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Object Lock keeps every version but does not decide which one is current: whoever may s3:PutObject could put a
    // new version over a report, a manifest or a chain place. So a write under reports/ must be a create-if-absent
    // (If-None-Match: *), which S3 refuses when the key exists; the archive code writes nothing else there. Applies to
    // every principal, the account's administrators included, until someone changes this policy. Multipart uploads
    // cannot carry the header on CreateMultipartUpload and are refused with it; the archive never uses them.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ReportsAreWrittenOnlyIfAbsent',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${REPORTS_ROOT}*`)],
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ReportsIfNoneMatchIsAStar',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${REPORTS_ROOT}*`)],
        conditions: { StringNotEquals: { 's3:if-none-match': '*' } },
      }),
    );
  }

  /**
   * Lets the grantee store and read run reports and drift state: `s3:PutObject` and `s3:GetObject` on the two key
   * prefixes, `s3:ListBucket` (so a missing key reads as 404, not 403), and the KMS calls S3 makes on its behalf.
   *
   * Also adds an explicit deny for deleting objects or versions, changing retention or legal holds, bypassing
   * governance and changing bucket configuration, so a broader policy attached later cannot open them.
   */
  grantWriteReports(grantee: iam.IGrantable): iam.Grant {
    const objects = [REPORTS_ROOT, STATE_ROOT].map((prefix) => this.bucket.arnForObjects(`${prefix}*`));
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject', 's3:GetObject'],
      resourceArns: objects,
    });
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn] });
    this.grantKeyThroughS3(grantee);
    this.denyRemoval(grantee);
    // The object keys are made per run (reports/tenant=<id>/date=<day>/run=<runId>/...), so only a prefix pattern
    // can name them; acknowledged here, where the pattern is chosen.
    for (const prefix of [REPORTS_ROOT, STATE_ROOT]) {
      this.acknowledgePrefix(
        grantee,
        prefix,
        `Object keys under ${prefix} are created per tenant and run, so the grant names the prefix; it allows ` +
          'only s3:PutObject and s3:GetObject there, and an explicit deny in the same policy blocks deletes, ' +
          'retention and legal-hold changes.',
      );
    }
    return grant;
  }

  /**
   * Lets the grantee keep small mutable records under `prefix` (the audit poller's cursors): `s3:GetObject` and
   * `s3:PutObject` there only, `s3:ListBucket` limited to that prefix (so a missing key reads as 404), the KMS calls
   * S3 makes on its behalf, and the same explicit deny of every removal as {@link grantWriteReports}.
   *
   * Every write is a new object version that Object Lock keeps for the retention period; a lifecycle rule expires the
   * older versions right after it, as for the drift state.
   */
  grantReadWriteRecords(grantee: iam.IGrantable, prefix: string): iam.Grant {
    if (
      !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/.test(prefix) ||
      [REPORTS_ROOT, STATE_ROOT].some((root) => prefix.startsWith(root))
    ) {
      throw new Error(
        `Records prefix ${JSON.stringify(prefix)}: expected folders ending in "/", outside ${REPORTS_ROOT} and ${STATE_ROOT} ` +
          '(reports are write-once, the drift state belongs to the checker)',
      );
    }
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject', 's3:GetObject'],
      resourceArns: [this.bucket.arnForObjects(`${prefix}*`)],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    });
    this.grantKeyThroughS3(grantee);
    this.denyRemoval(grantee);
    this.bucket.addLifecycleRule({
      id: `expire-old-versions-${prefix.replace(/\/$/, '').replaceAll('/', '-')}`,
      prefix,
      noncurrentVersionExpiration: Duration.days(this.retentionDays + 1),
    });
    this.acknowledgePrefix(
      grantee,
      prefix,
      `Keys under ${prefix} are one small record per tenant, named by the tenant, so the grant names the prefix; it ` +
        'allows only s3:GetObject and s3:PutObject there, and an explicit deny in the same policy blocks deletes, ' +
        'retention and legal-hold changes.',
    );
    return grant;
  }

  private grantKeyThroughS3(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resourceArns: [this.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
    });
  }

  private acknowledgePrefix(grantee: iam.IGrantable, prefix: string, reason: string): void {
    if (!Construct.isConstruct(grantee.grantPrincipal)) return;
    Validations.of(grantee.grantPrincipal).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.bucketLogicalId()}.Arn>/${prefix}*]`,
      reason,
    });
  }

  /** An explicit deny, so that a broader policy attached later cannot open removal or unlocking to the grantee. */
  private denyRemoval(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReportArchiveIsWriteOnce',
        effect: iam.Effect.DENY,
        actions: [
          's3:DeleteObject',
          's3:DeleteObjectVersion',
          's3:PutObjectRetention',
          's3:PutObjectLegalHold',
          's3:BypassGovernanceRetention',
          's3:PutLifecycleConfiguration',
          's3:PutBucketObjectLockConfiguration',
          's3:PutBucketPolicy',
          's3:DeleteBucketPolicy',
          's3:PutBucketVersioning',
          's3:PutEncryptionConfiguration',
          's3:DeleteBucket',
        ],
        resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
      }),
    );
  }

  private bucketLogicalId(): string {
    return Stack.of(this).resolve((this.bucket.node.defaultChild as s3.CfnBucket).logicalId) as string;
  }
}
