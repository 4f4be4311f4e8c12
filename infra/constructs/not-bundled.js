// Stands in, in a Lambda bundle, for a package the function's configuration never loads (see
// localEngineAliases in ./bundling.ts): reaching it is a deployment mistake, said plainly.
export default function notBundled() {
  throw new Error("this package was left out of the bundle: the function is deployed without the local engines");
}
