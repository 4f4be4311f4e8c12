import { Stack, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/**
 * Acknowledges the one AwsSolutions-IAM5 finding that a wildcard resource ARN produces on `scope` (a
 * role, or anything above its policy). cdk-nag names such a finding after the flattened CloudFormation
 * form of the ARN (`<LogicalId.Arn>/index/*`); computing it here keeps acknowledgments exact instead of
 * silencing IAM5 for the whole role.
 */
export function acknowledgeWildcardResource(scope: IConstruct, arn: string, reason: string): void {
  const flat = flatten(Stack.of(scope).resolve(arn));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
}

/** The same flattening cdk-nag applies to a resolved reference (Fn::Join, Ref, Fn::GetAtt). */
function flatten(node: unknown): string {
  if (typeof node === "string") return node.replace(/\$\{/g, "<").replace(/\}/g, ">");
  if (node && typeof node === "object") {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o["Fn::Join"])) {
      const [delimiter, items] = o["Fn::Join"] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if ("Fn::Sub" in o) return flatten(o["Fn::Sub"]);
    if (Array.isArray(o["Fn::GetAtt"])) {
      const [resource, attribute] = o["Fn::GetAtt"] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if ("Fn::ImportValue" in o) return flatten(o["Fn::ImportValue"]);
    if ("Ref" in o) return `<${flatten(o.Ref)}>`;
  }
  return JSON.stringify(node);
}
